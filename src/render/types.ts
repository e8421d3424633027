/** What every renderer returns: files relative to the output directory, never written here. */

export interface RenderedFile {
  /** Relative to the output directory, '/'-separated, e.g. "network-manager/nmcli.sh". */
  path: string;
  content: string;
  /** File mode: 0o600 for anything holding a secret or a keyfile, 0o755 for scripts, else 0o644. */
  mode: number;
  /** One line for the file table and out/README.txt. */
  description: string;
  /**
   * Set for an ISO9660 image: content is empty and writeArtifacts builds the image from these
   * rendered files (relative paths) once they are on disk.
   */
  iso?: {
    volumeLabel: string;
    from: string[];
    /** With root, a file keeps its path below root inside the image (config drives); else its base name. */
    root?: string;
    /** Empty directories the image holds. */
    dirs?: string[];
  };
}

/** An ISO9660 image to build from rendered files once they are on disk (writeArtifacts). */
export interface IsoSpec {
  /** Relative path of the image, e.g. "day0/csr1kv-1/csr1kv-1-day0.iso". */
  path: string;
  volumeLabel: string;
  /** Relative paths of rendered files to put in the image, at their path below root. */
  files: string[];
  /** The directory the files' in-image paths are relative to, e.g. "day0/csr1kv-1". */
  root: string;
  /** Empty directories the image holds (VM-Series: content, software). */
  dirs: string[];
  description: string;
}

export interface RenderOptions {
  /** Environment that secrets are read from (process.env in the CLI). */
  env: Readonly<Record<string, string | undefined>>;
  /** Derive secret salts from this seed (stable output); random salts when absent. */
  saltSeed?: string;
  /** Where apply.sh copies the day-0 ISOs on the host (default /var/lib/nfvhost/day0); the domain XML points there. */
  day0Dir?: string;
}

export const MODE_SECRET = 0o600;
export const MODE_SCRIPT = 0o755;
export const MODE_FILE = 0o644;
