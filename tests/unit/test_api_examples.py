"""The OpenAPI document's request examples are valid requests of their routes."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from api.schemas import challenges, projects, reviews

MODELS: list[type[BaseModel]] = [
    challenges.CollectDemandIn,
    challenges.DraftChallengeIn,
    challenges.ArgumentationIn,
    challenges.AnnualListIn,
    challenges.PublishIn,
    challenges.SelectIn,
    reviews.RegisterExpertIn,
    reviews.ProposePanelIn,
    reviews.ApplyIn,
    reviews.DeclareConflictIn,
    reviews.ScoreIn,
    projects.ObjectionIn,
    projects.ResolveObjectionIn,
    projects.DraftContractIn,
    projects.DisburseIn,
    projects.AssessIn,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_request_example_validates_against_its_shape(model: type[BaseModel]) -> None:
    (example,) = model.model_json_schema()["examples"]
    model.model_validate(example)
