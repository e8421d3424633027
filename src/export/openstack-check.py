#!/usr/bin/python3
"""Checks an nfvhost OpenStack export offline with OpenStack's own code (Debian python3-nova and
python3-heat): no cloud, no database, no configuration file.

Input (stdin, JSON): {"templates": [{"template": "<the HOT template as written>", "file": "<its path>",
                      "files": {"<get_file path>": "<content>", ...}}, ...]}
Argument: nova | heat (one engine per process: their oslo.config options clash).
Output (stdout, JSON): {"version": "...", "checks": [{"name", "file", "ok", "problems"}],
                        "needsCloud": ["<constraint>=<value>", ...]}

Nova: every flavor's extra specs go through nova.api.validation.extra_specs.validators.validate
(the API's own validator, what `openstack flavor set --property` runs), then the flavor through
nova.virt.hardware.numa_get_constraints (what the scheduler and the libvirt driver derive from it)
and get_best_cpu_topology (the guest topology Nova would really give).

Heat: the template is parsed by heat.common.template_format.parse, its version and sections checked
against the HOT version class, every resource type looked up in Heat's global environment, and each
resource's properties validated by heat.engine.properties.Properties against the plugin's
properties_schema -- the lightest path into Heat's validation that needs no stack, context or
database. Intrinsic functions are resolved here (get_param -> the parameter's default,
get_resource -> a placeholder id after checking the resource exists, get_file -> the file's
content after checking it is in `files`). Constraints that ask the cloud (does this flavor, image,
network exist) cannot run offline: they are listed in needsCloud, never counted as passed.
"""
import contextlib
import io
import json
import logging
import sys

logging.disable(logging.CRITICAL)


def check_nova(template, fname):
    from nova import objects
    from nova import exception
    from nova.api.validation.extra_specs import validators
    from nova.virt import hardware

    objects.register_all()
    checks = []
    for rname, res in sorted((template.get("resources") or {}).items()):
        if res.get("type") != "OS::Nova::Flavor":
            continue
        props = res.get("properties") or {}
        specs = props.get("extra_specs") or {}
        problems = []
        for key, value in sorted(specs.items()):
            try:
                validators.validate(key, str(value))
            except exception.ValidationError as e:
                problems.append("%s.extra_specs.%s=%s: %s" % (rname, key, value, e))
        if not problems:
            flavor = objects.Flavor(
                vcpus=int(props["vcpus"]),
                memory_mb=int(props["ram"]),
                extra_specs={k: str(v) for k, v in specs.items()},
            )
            image = objects.ImageMeta.from_dict({"properties": {}})
            try:
                numa = hardware.numa_get_constraints(flavor, image)
                if numa is None:
                    problems.append("%s: Nova derives no NUMA topology (no pinning, no pages)" % rname)
                else:
                    if len(numa.cells) != int(specs.get("hw:numa_nodes", 1)):
                        problems.append("%s: Nova derives %d NUMA cells" % (rname, len(numa.cells)))
                    page = numa.cells[0].pagesize
                    if page and (int(props["ram"]) * 1024) % page != 0:
                        problems.append(
                            "%s: ram %s MiB is not a multiple of the %d KiB page size"
                            % (rname, props["ram"], page)
                        )
                    want = specs.get("hw:emulator_threads_policy")
                    if want and numa.emulator_threads_policy != want:
                        problems.append(
                            "%s: Nova derives emulator_threads_policy %s, not %s"
                            % (rname, numa.emulator_threads_policy, want)
                        )
                topo = hardware.get_best_cpu_topology(flavor, image)
                asked = tuple(int(specs[k]) for k in ("hw:cpu_sockets", "hw:cpu_cores", "hw:cpu_threads") if k in specs)
                if len(asked) == 3 and (topo.sockets, topo.cores, topo.threads) != asked:
                    problems.append(
                        "%s: Nova gives the guest %dx%dx%d (sockets x cores x threads), the flavor asks %dx%dx%d"
                        % ((rname, topo.sockets, topo.cores, topo.threads) + asked)
                    )
            except exception.NovaException as e:
                problems.append("%s: numa_get_constraints: %s" % (rname, e))
        checks.append({"name": "nova extra-spec validators + numa_get_constraints", "file": "%s: %s" % (fname, rname),
                       "ok": not problems, "problems": problems})
    return checks


def check_heat(text, fname, files):
    from heat.common import template_format
    from heat.engine import constraints, properties, resources
    from heat.engine.hot import template as hot

    with contextlib.redirect_stderr(io.StringIO()):
        resources.initialise()  # loads the plugins once; later calls return at once
    env = resources.global_env()
    problems = []
    needs_cloud = []
    try:
        tmpl = template_format.parse(text)
    except ValueError as e:
        return [{"name": "heat template_format", "file": fname, "ok": False, "problems": [str(e)]}], [], None
    version = str(tmpl.get("heat_template_version"))
    classes = {c.__name__: c for c in vars(hot).values() if isinstance(c, type) and c.__name__.startswith("HOTemplate")}
    cls = classes.get("HOTemplate" + version.replace("-", ""))
    if cls is None:
        problems.append("heat_template_version %s is not one this Heat knows" % version)
    else:
        for section in tmpl:
            if section not in cls.SECTIONS:
                problems.append("unknown top-level section %s (Heat %s knows %s)" % (section, version, ", ".join(cls.SECTIONS)))
    params = tmpl.get("parameters") or {}
    res_defs = tmpl.get("resources") or {}

    def resolve(value, where):
        if isinstance(value, dict) and len(value) == 1:
            (fn, arg), = value.items()
            if fn == "get_param":
                if arg not in params:
                    problems.append("%s: get_param %s: no such parameter" % (where, arg))
                    return None
                p = params[arg]
                return p.get("default", "<%s>" % arg)
            if fn == "get_resource":
                if arg not in res_defs:
                    problems.append("%s: get_resource %s: no such resource" % (where, arg))
                return "<%s id>" % arg
            if fn == "get_file":
                if arg not in files:
                    problems.append("%s: get_file %s: the file is not in the export" % (where, arg))
                    return ""
                return files[arg]
        if isinstance(value, dict):
            return {k: resolve(v, where + "." + str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, "%s[%d]" % (where, i)) for i, v in enumerate(value)]
        return value

    original = constraints.CustomConstraint.validate

    def offline_validate(self, value, schema=None, context=None):
        impl = type(self.custom_constraint)
        # Constraints under heat.engine.clients ask a service (Nova, Glance, Neutron) through a
        # client; the others (MAC, IP, CIDR, ISO 8601...) are pure and run here.
        if impl.__module__.startswith("heat.engine.clients"):
            if not (isinstance(value, str) and value.endswith(" id>")):  # get_resource: in this template
                needs_cloud.append("%s=%s" % (self.name, value))
            return True
        return original(self, value, schema, context)

    constraints.CustomConstraint.validate = offline_validate
    checks = []
    try:
        for rname, rdef in sorted(res_defs.items()):
            rprob = []
            rtype = rdef.get("type")
            try:
                plugin = env.get_class(rtype)
            except Exception as e:  # heat raises its own StackValidationFailed/EntityNotFound
                rprob.append("%s: type %s: %s" % (rname, rtype, e))
                plugin = None
            for key in rdef:
                if key not in ("type", "properties", "depends_on", "metadata", "deletion_policy", "update_policy", "condition"):
                    rprob.append("%s: unknown resource key %s" % (rname, key))
            if plugin is not None:
                data = resolve(rdef.get("properties") or {}, rname)
                try:
                    props = properties.Properties(properties.schemata(plugin.properties_schema), data, section="properties")
                    props.validate(with_value=True)
                except Exception as e:
                    rprob.append("%s (%s): %s" % (rname, rtype, e))
            checks.append({"name": "heat properties_schema %s" % rtype, "file": "%s: %s" % (fname, rname),
                           "ok": not rprob, "problems": rprob})
    finally:
        constraints.CustomConstraint.validate = original
    checks.insert(0, {"name": "heat template", "file": fname, "ok": not problems, "problems": problems})
    return checks, needs_cloud, tmpl


def main():
    # Nova and Heat register clashing oslo.config options (e.g. "host") in one global CONF: one
    # engine per process. The caller runs "nova" and "heat" side by side.
    part = sys.argv[1] if len(sys.argv) > 1 else ""
    req = json.load(sys.stdin)
    if part == "nova":
        import yaml
        import nova.version

        checks = []
        for t in req["templates"]:
            checks += check_nova(yaml.safe_load(t["template"]), t["file"])
        out = {"version": nova.version.version_string(), "checks": checks, "needsCloud": []}
    elif part == "heat":
        import heat.version

        checks, needs_cloud = [], []
        for t in req["templates"]:
            c, n, _ = check_heat(t["template"], t["file"], t.get("files") or {})
            checks += c
            needs_cloud += n
        out = {"version": heat.version.version_info.version_string(), "checks": checks,
               "needsCloud": sorted(set(needs_cloud))}
    else:
        sys.stderr.write("usage: openstack-check.py nova|heat < request.json\n")
        sys.exit(2)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
