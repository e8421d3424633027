import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { VnfPlan } from "../plan/types.js";
import { run } from "../util/exec.js";
import {
  ASKPASS,
  checkDrivers,
  parseCommand,
  parseSdwanControl,
  parseThroughputLevel,
  parseVnicMapping,
  sshDefaults,
  sshInvocation,
} from "./guest.js";

// As IOS-XE prints it (jbarozet 08-router-vnics; weiborao's SR-IOV guide), CRs already dropped.
const MAPPING = `
-------------------------------------------------------------
 Interface Name        Driver Name         Mac Addr
-------------------------------------------------------------
 GigabitEthernet3       net_i40e_vf        5254.0012.3456
 GigabitEthernet2       net_ixgbe_vf       5254.00ab.cdef
 GigabitEthernet1       net_virtio         5254.00ab.cdee
-------------------------------------------------------------`;

describe("show output parsers", () => {
  it("reads the vNIC table with MACs in colon form", () => {
    expect(parseVnicMapping(MAPPING)).toEqual([
      { interface: "GigabitEthernet3", driver: "net_i40e_vf", mac: "52:54:00:12:34:56" },
      { interface: "GigabitEthernet2", driver: "net_ixgbe_vf", mac: "52:54:00:ab:cd:ef" },
      { interface: "GigabitEthernet1", driver: "net_virtio", mac: "52:54:00:ab:cd:ee" },
    ]);
  });
  it("reads the throughput level in both spellings", () => {
    expect(parseThroughputLevel("The current throughput level is 250000 kb/s")).toEqual({ kbps: 250000 });
    expect(parseThroughputLevel("The current throughput level is 1000 kbps")).toEqual({ kbps: 1000 });
    expect(parseThroughputLevel("nothing")).toBeNull();
  });
  it("reads SD-WAN control connections, three header lines and all", () => {
    const text = [
      "                                                  PEER                          PEER",
      "PEER    PEER PEER            SITE       DOMAIN PEER           PRIV  PEER           PUB",
      "TYPE    PROT SYSTEM IP       ID         ID     PRIVATE IP     PORT  PUBLIC IP      PORT  ORGANIZATION  LOCAL COLOR  PROXY STATE UPTIME      ID",
      "------------------------------------------------------------------------------------------------------------------------------",
      "vsmart  dtls 1.1.1.3         1          1      10.0.0.3       12446 10.0.0.3       12446 example       default      No    up     0:00:10:12  0",
      "vbond   dtls 0.0.0.0         0          0      10.0.0.2       12346 10.0.0.2       12346 example       default      -     up     0:00:10:14  0",
    ].join("\n");
    expect(parseSdwanControl(text)).toEqual([
      {
        peerType: "vsmart",
        protocol: "dtls",
        systemIp: "1.1.1.3",
        siteId: 1,
        privateIp: "10.0.0.3",
        publicIp: "10.0.0.3",
        state: "up",
        uptime: "0:00:10:12",
      },
      {
        peerType: "vbond",
        protocol: "dtls",
        systemIp: "0.0.0.0",
        siteId: 0,
        privateIp: "10.0.0.2",
        publicIp: "10.0.0.2",
        state: "up",
        uptime: "0:00:10:14",
      },
    ]);
    expect(parseSdwanControl("% This command is not supported in autonomous mode")).toEqual([]);
  });
  it("marks a refused command as an error and parses nothing", () => {
    const r = parseCommand({ command: "show foo", output: "% Invalid input detected at '^' marker." });
    expect(r).toMatchObject({ error: "% Invalid input detected at '^' marker.", parsed: null });
  });
});

describe("driver checks against the plan", () => {
  const vnf = {
    name: "c8kv-1",
    kind: "c8000v",
    interfaces: [
      {
        index: 0,
        guestName: "GigabitEthernet1",
        mac: "52:54:00:ab:cd:ee",
        model: "virtio",
        type: "macvtap",
        dev: "eno1",
        mode: "bridge",
      },
      {
        index: 1,
        guestName: "GigabitEthernet2",
        mac: "52:54:00:ab:cd:ef",
        model: "virtio",
        type: "sriov-hostdev",
        vf: {},
      },
      {
        index: 2,
        guestName: "GigabitEthernet3",
        mac: "52:54:00:00:00:99",
        model: "virtio",
        type: "bridge",
        bridge: "br0",
      },
    ],
  } as unknown as VnfPlan;
  it("passes a VF on a VF driver and virtio on net_virtio; fails a vNIC the guest does not list", () => {
    const r = checkDrivers(vnf, parseVnicMapping(MAPPING));
    expect(r.map((c) => [c.interface, c.have, c.ok])).toEqual([
      ["GigabitEthernet1", "net_virtio", true],
      ["GigabitEthernet2", "net_ixgbe_vf", true],
      ["GigabitEthernet3", null, false],
    ]);
  });
});

describe("exec over SSH", () => {
  const base = { user: "admin", address: "192.0.2.1", command: "show version", timeoutMs: 20_000 };

  it("with the day-0 password in the environment: password auth through the askpass, never on argv", () => {
    const call = sshInvocation({ ...base, port: 2222, sshConfig: "/t/ssh_config", passwordEnv: "ADMIN_PW" });
    expect(call.args).toEqual([
      "-n",
      "-T",
      "-F",
      "/t/ssh_config",
      "-o",
      "BatchMode=no",
      "-o",
      "PubkeyAuthentication=no",
      "-o",
      "PreferredAuthentications=keyboard-interactive,password",
      "-o",
      "NumberOfPasswordPrompts=1",
      "-o",
      "ConnectTimeout=20",
      "-p",
      "2222",
      "-l",
      "admin",
      "--",
      "192.0.2.1",
      "show version",
    ]);
    expect(call.env).toEqual({
      SSH_ASKPASS: ASKPASS,
      SSH_ASKPASS_REQUIRE: "force",
      NFVHOST_ASKPASS_ENV: "ADMIN_PW",
    });
    expect(existsSync(ASKPASS)).toBe(true);
  });

  it("without it: keys only, no prompt that could hang a script", () => {
    const call = sshInvocation({ ...base, passwordEnv: null });
    expect(call.args.slice(0, 6)).toEqual(["-n", "-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=20"]);
    expect(call.env).toEqual({});
  });

  it("the askpass answers only a password prompt, from the variable it is told", async () => {
    const env = { ...process.env, NFVHOST_ASKPASS_ENV: "NFVT_ASKPASS_TEST", NFVT_ASKPASS_TEST: "s3cret" };
    const pw = await run(ASKPASS, ["admin@192.0.2.1's password: "], { env });
    expect(pw).toMatchObject({ code: 0, stdout: "s3cret\n" });
    const hostKey = await run(ASKPASS, ["Are you sure you want to continue connecting (yes/no)? "], { env });
    expect(hostKey).toMatchObject({ code: 1, stdout: "" });
    const injected = await run(ASKPASS, ["Password: "], { env: { ...env, NFVHOST_ASKPASS_ENV: "X;id" } });
    expect(injected).toMatchObject({ code: 1, stdout: "" });
  });

  it("the defaults: the first static day-0 address and the day-0 user with its password-env", () => {
    const vnf = {
      day0: {
        users: {
          admin: { privilege: 15, passwordEnv: "ADMIN_PW" },
          ops: { privilege: 1, passwordEnv: "OPS_PW" },
        },
        interfaces: { GigabitEthernet1: { dhcp: true }, GigabitEthernet2: { address: "10.0.0.5/24" } },
      },
    } as unknown as VnfPlan;
    expect(sshDefaults(vnf)).toEqual({ user: "admin", address: "10.0.0.5", passwordEnv: "ADMIN_PW" });
    expect(sshDefaults(vnf, "ops")).toEqual({ user: "ops", address: "10.0.0.5", passwordEnv: "OPS_PW" });
    expect(sshDefaults(vnf, "other")).toEqual({ user: "other", address: "10.0.0.5" });
  });
});
