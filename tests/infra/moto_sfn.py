"""moto_server plus two Step Functions calls moto 5.2 lacks and the AWS provider makes for a state machine.

The provider (5.x) validates `aws_sfn_state_machine.definition` with ValidateStateMachineDefinition while
planning and reads ListStateMachineVersions after creating it. moto answers both with a 500, the provider
retries until its plugin times out, and the apply never finishes. This module adds the two operations to
moto's Step Functions responses, then runs moto's own server:
- validation is a real structural check (JSON, StartAt, every Next and Default naming a state, Map and
  Parallel branches checked the same way), answered in the API's shape, so a broken definition fails the
  plan as it would on AWS;
- the versions are the ones moto's backend keeps (published with `publish = true`).

Run as `python moto_sfn.py -H 127.0.0.1 -p PORT` (the arguments are moto_server's).
"""

import json
import sys
from typing import Any

from moto.core.responses import ActionResult
from moto.server import main
from moto.stepfunctions.responses import StepFunctionResponse

STATE_TYPES = frozenset({"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"})


def diagnostics(machine: Any, where: str = "") -> list[dict[str, str]]:
    """Problems of one state machine (or Map/Parallel branch) definition, in the API's diagnostic shape."""

    def problem(code: str, message: str, location: str) -> dict[str, str]:
        return {"severity": "ERROR", "code": code, "message": message, "location": location}

    if not isinstance(machine, dict) or not isinstance(machine.get("States"), dict) or not machine["States"]:
        return [problem("SCHEMA_VALIDATION_FAILED", "States must be a non-empty object", f"{where}/States")]
    states: dict[str, Any] = machine["States"]
    found = []
    if machine.get("StartAt") not in states:
        start = machine.get("StartAt")
        found.append(problem("MISSING_TRANSITION_TARGET", f"StartAt {start!r} is no state", where))
    for name, state in states.items():
        here = f"{where}/States/{name}"
        if not isinstance(state, dict) or state.get("Type") not in STATE_TYPES:
            found.append(problem("SCHEMA_VALIDATION_FAILED", "unknown or missing Type", here))
            continue
        targets = [state.get("Next"), state.get("Default")]
        targets += [choice.get("Next") for choice in state.get("Choices", []) if isinstance(choice, dict)]
        for target in targets:
            if target is not None and target not in states:
                found.append(problem("MISSING_TRANSITION_TARGET", f"{target!r} is no state", here))
        terminal = state["Type"] in {"Succeed", "Fail", "Choice"} or state.get("End") is True
        if not terminal and state.get("Next") is None:
            found.append(problem("SCHEMA_VALIDATION_FAILED", "a state needs Next or End", here))
        branches = [state.get("ItemProcessor") or state.get("Iterator")] if state["Type"] == "Map" else []
        branches += state.get("Branches", []) if state["Type"] == "Parallel" else []
        for n, branch in enumerate(branches):
            found += diagnostics(branch, f"{here}/branch{n}")
    return found


def validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
    try:
        found = diagnostics(json.loads(self._get_param("definition") or ""))
    except json.JSONDecodeError as exc:
        found = [
            {"severity": "ERROR", "code": "INVALID_JSON_DESCRIPTION", "message": str(exc), "location": ""}
        ]
    return ActionResult({"result": "FAIL" if found else "OK", "diagnostics": found, "truncated": False})


def list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
    machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
    versions = sorted(machine.versions.items(), reverse=True)  # newest first, as AWS lists them
    return ActionResult(
        {
            "stateMachineVersions": [
                {"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for _, v in versions
            ]
        }
    )


StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]
StepFunctionResponse.list_state_machine_versions = list_state_machine_versions  # type: ignore[attr-defined]

if __name__ == "__main__":
    main(sys.argv[1:])
