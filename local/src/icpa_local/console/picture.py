"""The workflow picture for a review: the ASL drawn by icpa_orchestration.graph (the same
drawing as `icpa graph --claim`) with the path the review's execution took highlighted.

A local extension of the review API (`GET /_icpa/reviews/{review_id}/graph.svg`, bearer token
required): it needs the execution history and Graphviz's `dot`, which the review API's Lambda
has neither of, so a deployed console shows no picture (its config.json has no `graphPath`).
"""

from __future__ import annotations

import json
import re
from typing import Final

from icpa_local.session import CloudSession
from icpa_orchestration import definition_text
from icpa_orchestration.graph import path_from_history, render, to_dot
from icpa_shared.adapters.items import string_attribute, to_attributes

GRAPH_PATH: Final = "/_icpa/reviews/{review_id}/graph.svg"
_GRAPH_PATH: Final = re.compile(r"^/_icpa/reviews/(REV-[0-9a-f]{32})/graph\.svg$")


def is_graph_path(path: str) -> bool:
    return path.startswith("/_icpa/reviews/")


def review_id_of(path: str) -> str | None:
    match = _GRAPH_PATH.match(path)
    return match.group(1) if match else None


def review_picture(cloud: CloudSession, review_id: str) -> bytes | None:
    """SVG of the workflow with the review's execution path; None when there is no such review.
    Reads only the review's execution id (never its task token). Raises GraphvizMissingError /
    GraphvizRenderError when `dot` is missing or fails."""
    item = (
        cloud.client("dynamodb")
        .get_item(
            TableName=cloud.names.reviews_table,
            Key=to_attributes({"review_id": review_id}),
            ProjectionExpression="execution_id",
            ConsistentRead=True,
        )
        .get("Item")
    )
    execution_id = string_attribute(item or {}, "execution_id")
    if execution_id is None:
        return None
    path = path_from_history(cloud.history(execution_id))
    return render(to_dot(json.loads(definition_text()), **path.as_kwargs()), "svg")
