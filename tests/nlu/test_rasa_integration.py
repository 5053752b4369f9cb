"""Real Flemish messages through the bot's client and a real Rasa server."""

from __future__ import annotations

import httpx
import pytest

from bot.infra.rasa import RasaNluClient
from bot.nlu_tools.server import RasaServer

pytestmark = [pytest.mark.slow, pytest.mark.rasa]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("heyy alles goe", "greet"),
        ("kheb echt gene goesting meer in school, kga stoppen", "want_to_quit_school"),
        ("ik heb deze week al drie keer gebrost", "truancy"),
        ("ik wil dood", "crisis"),
        ("ik zie het leven echt niet meer zitten", "crisis"),
        ("kvoel me zo alleen en triest", "feeling_down"),
        ("wat is duaal leren eigenlijk", "ask_learning_paths"),
        ("tot wanneer is de leerplicht", "ask_compulsory_education"),
        ("kan ik met een echte mens praten", "ask_human"),
        ("merci hé", "thanks"),
        ("wie gaat er de match winnen zondag", "out_of_scope"),
    ],
)
async def test_flemish_messages_get_the_right_intent(
    rasa_server: RasaServer, text: str, intent: str
) -> None:
    client = RasaNluClient(rasa_server.url, rasa_server.token, timeout=5.0)
    result = await client.parse(text)
    await client.aclose()
    assert result is not None
    assert result.intent == intent


@pytest.mark.parametrize(
    ("text", "municipality"),
    [
        ("ik woon in borgerhout", "Antwerpen"),
        ("kwoon in genk", "Genk"),
        ("ik woon in gentbrugge", "Gent"),
    ],
)
async def test_municipality_entity_is_mapped_to_its_municipality(
    rasa_server: RasaServer, text: str, municipality: str
) -> None:
    client = RasaNluClient(rasa_server.url, rasa_server.token, timeout=5.0)
    result = await client.parse(text)
    await client.aclose()
    assert result is not None
    assert result.intent == "inform_location"
    assert result.entity("municipality") == municipality


async def test_postcode_is_extracted(rasa_server: RasaServer) -> None:
    client = RasaNluClient(rasa_server.url, rasa_server.token, timeout=5.0)
    result = await client.parse("mijn postcode is 3500")
    await client.aclose()
    assert result is not None
    assert result.entity("postcode") == "3500"


async def test_wrong_token_is_refused_and_reads_as_unavailable(rasa_server: RasaServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{rasa_server.url}/model/parse", params={"token": "wrong"}, json={"text": "hallo"}
        )
    assert response.status_code == 401
    client = RasaNluClient(rasa_server.url, "wrong", timeout=5.0)
    assert await client.parse("hallo") is None
    await client.aclose()
