"""The answer pipeline: typed stages from a question to a rendered, verified article.

    AskRequest -> Understand -> Understood -> Retrieve -> Retrieved -> Compose -> Composed
               -> Safety -> Checked -> Verify -> Verified -> Render -> Article

`AnswerPipeline(runtime).run(request)` is what `services.ask` (and so `follow_up`) calls; the
services check input, store the article and keep thread topics around it.
"""

from curbside.pipeline.answer import AnswerPipeline, AnswerRuntime
from curbside.pipeline.contracts import (
    AskRequest,
    Checked,
    Composed,
    Retrieved,
    Trace,
    Understood,
    Verified,
)
from curbside.pipeline.stages import (
    Compose,
    Render,
    Retrieve,
    Safety,
    Similarity,
    Understand,
    Verify,
    WriterUnavailable,
)

__all__ = [
    "AnswerPipeline",
    "AnswerRuntime",
    "AskRequest",
    "Checked",
    "Compose",
    "Composed",
    "Render",
    "Retrieve",
    "Retrieved",
    "Safety",
    "Similarity",
    "Trace",
    "Understand",
    "Understood",
    "Verified",
    "Verify",
    "WriterUnavailable",
]
