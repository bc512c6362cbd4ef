"""The routing engine: from a scenario and the data the project carries to a timed plan of
voyages, its document and the files people read, and how likely it is to hold.

The public face, for the service, the command line, benchmarks and tests::

    from routing import load_inputs, problem_for, plan, Budget, PlanDocument

    inputs = load_inputs()                          # the bundled data folder
    scenario = load_scenario(path)                  # a scenario file (TOML)
    run = plan(inputs, problem_for(inputs, scenario), seconds=Budget.DEFAULT_S)
    document = PlanDocument.model_validate(run.document)

Where things live: the planning core at this level (``pipeline``, ``planner``, ``solver``,
``schedule``, ``explain``, ``replan``, ``risk``, ``capacity``, ``plandoc``, ``fieldlog``,
``domain``, ``errors``, ``local``, ``units``); ``routing.inputs`` reads and validates what a
plan is made from (and alone knows the data folder's layout); ``routing.sea`` the sea graph,
its network cache, matrices and weather; ``routing.outputs`` the formats a plan is written in;
``routing.tools`` the dataset build and the coast check, off the path to a plan.
"""

from routing.domain import Budget, Plan, Problem
from routing.errors import DataError, Issue, NoSeaPath, NotFound, RoutingError
from routing.inputs import DataFiles, Inputs, bundled_data_dir, load_inputs
from routing.inputs.scenario import Scenario, load_scenario
from routing.pipeline import PlanRun, plan, problem_for, replan, risk_model
from routing.plandoc import PlanDocument
from routing.risk import simulate

__all__ = [
    "Budget",
    "DataError",
    "DataFiles",
    "Inputs",
    "Issue",
    "NoSeaPath",
    "NotFound",
    "Plan",
    "PlanDocument",
    "PlanRun",
    "Problem",
    "RoutingError",
    "Scenario",
    "bundled_data_dir",
    "load_inputs",
    "load_scenario",
    "plan",
    "problem_for",
    "replan",
    "risk_model",
    "simulate",
]
