"""The official OpenAI Python client against `quill serve`.

    python openai_stream.py BASE_URL API_KEY MODEL

Streams one chat completion (with usage), makes one non-streamed call, lists models, and checks
that errors map to the client's usual exception types. Prints one JSON object with what it saw;
the Rust test that runs it (crates/quill-cli/tests/serve_cli.rs) asserts on it.
"""
import json
import sys

import openai
from openai import OpenAI

base_url, api_key, model = sys.argv[1:4]
client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=120)
messages = [{"role": "user", "content": "Write one short sentence about the sea."}]

pieces, usage, finish, roles = [], None, None, []
stream = client.chat.completions.create(
    model=model, messages=messages, stream=True, max_tokens=16, temperature=0,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.usage is not None:
        usage = chunk.usage.model_dump()
    for choice in chunk.choices:
        if choice.delta.role:
            roles.append(choice.delta.role)
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason

whole = client.chat.completions.create(model=model, messages=messages, max_tokens=16, temperature=0)

errors = {}
try:
    client.chat.completions.create(model="no-such-model", messages=messages, max_tokens=1)
except openai.NotFoundError as e:
    errors["not_found"] = e.status_code
try:
    OpenAI(base_url=base_url, api_key="wrong-key", max_retries=0).chat.completions.create(
        model=model, messages=messages, max_tokens=1)
except openai.AuthenticationError as e:
    errors["auth"] = e.status_code
try:
    client.chat.completions.create(model=model, messages=[], max_tokens=1)
except openai.BadRequestError as e:
    errors["bad_request"] = e.status_code

print(json.dumps({
    "openai_version": openai.__version__,
    "streamed": "".join(pieces),
    "chunks": len(pieces),
    "roles": roles,
    "finish_reason": finish,
    "usage": usage,
    "whole": whole.choices[0].message.content,
    "whole_finish": whole.choices[0].finish_reason,
    "whole_usage": whole.usage.model_dump(),
    "models": [m.id for m in client.models.list().data],
    "errors": errors,
}))
