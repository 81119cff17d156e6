"""GET /v1/models and POST /v1/embeddings."""

import numpy as np
import openai
import pytest
from conftest import MODEL


def test_models_lists_the_upstream_served_names(client):
    models = list(client.models.list())
    assert [m.id for m in models] == [MODEL]
    assert models[0].model_extra["max_model_len"] == 4096


def test_mapped_models_are_listed_and_routed(make_gateway, upstream):
    gateway = make_gateway(default_upstream=None, upstreams={MODEL: upstream.base_url})
    with openai.OpenAI(base_url=gateway.base_url, api_key="x", max_retries=0) as sdk:
        assert [m.id for m in sdk.models.list()] == [MODEL]
        sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=1)
        with pytest.raises(openai.NotFoundError) as caught:
            sdk.chat.completions.create(model="other", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["code"] == "model_not_found"


def test_embeddings_float_and_base64(client, embedder):
    served = "model"  # the MiniLM folder name; a hub id is served under itself
    floats = client.embeddings.create(
        model=served, input=["net sales", "gross margin"], encoding_format="float"
    )
    assert len(floats.data) == 2 and len(floats.data[0].embedding) == embedder.dimension
    assert floats.usage.prompt_tokens > 0
    single = client.embeddings.create(model=served, input=["net sales"], encoding_format="float")
    default = client.embeddings.create(model=served, input="net sales")  # the SDK asks for base64
    assert np.allclose(default.data[0].embedding, single.data[0].embedding, atol=1e-5)
    assert abs(np.linalg.norm(floats.data[0].embedding) - 1.0) < 1e-3


def test_embeddings_errors(client):
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-3-small", input="x")
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="model", input=[""])
    assert caught.value.body["param"] == "input[0]"
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="model", input="x", dimensions=7)
