"""``uploadAssets`` (issue 9, item 9): real multipart requests to the real app, real image files.

Each upload must end exactly as the same file imported from disk (metadata, content hash, thumbnail,
sessions), with one result per file; duplicates, corrupt files, hostile names, oversized bodies,
too many files, misuse of the multipart format, read-only tokens and other users are each checked,
including that nothing is left on disk when nothing is imported.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client import REGISTRY
from sqlalchemy import event
from sqlalchemy.engine import Engine

from api.app import create_app
from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from tests.api.conftest import app_http, free_port, make_user_with_token
from tests.hostile_files import huge_ihdr_png

UPLOAD = """mutation($files: [Upload!]!, $lastModified: [DateTime!]) {
  uploadAssets(files: $files, lastModified: $lastModified) {
    importedCount sessionsChanged
    results { fileName outcome reason
      asset { id fileName tool model prompt createdAt createdAtSource thumbnailUrl } }
  }
}"""
SESSIONS = """{ viewer { sessions(first: 20) { edges { node {
  assetCount assets(first: 20) { edges { node { id } } } } } } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Asset { fileName } } }"

TAROT_0 = "Civitai_trainer_samples/ktiseos__Comfy_UI_DATA__Faux_Tarot_e000010_00_20250607174543.png"
TAROT_1 = "Civitai_trainer_samples/ktiseos__Comfy_UI_DATA__Faux_Tarot_e000010_01_20250607174555.png"
A1111_JPEG = "AUTOMATIC1111/sdmetadata__jpg__sd-webui.jpg"
FORGE_WEBP = "Forge/sdmetadata__webp__forge-classic.webp"

File = tuple[str, bytes]


@pytest.fixture
def images(fixtures_dir: Path) -> dict[str, bytes]:
    base = fixtures_dir / "images"
    return {name: (base / name).read_bytes() for name in (TAROT_0, TAROT_1, A1111_JPEG, FORGE_WEBP)}


@pytest.fixture
async def http(settings: AtelierSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_http(settings) as client:
        yield client


def multipart(files: list[File], last_modified: list[str] | None = None) -> dict[str, Any]:
    """httpx arguments of a spec-conformant request: ``operations``, ``map``, then the files."""
    variables: dict[str, Any] = {"files": [None] * len(files)}
    if last_modified is not None:
        variables["lastModified"] = last_modified
    return {
        "data": {
            "operations": json.dumps({"query": UPLOAD, "variables": variables}),
            "map": json.dumps({str(i): [f"variables.files.{i}"] for i in range(len(files))}),
        },
        "files": [
            (str(i), (name, content, "application/octet-stream")) for i, (name, content) in enumerate(files)
        ],
    }


async def upload(
    http: httpx.AsyncClient, token: str, files: list[File], last_modified: list[str] | None = None
) -> httpx.Response:
    return await http.post(
        "/graphql", headers={"Authorization": f"Bearer {token}"}, **multipart(files, last_modified)
    )


def payload(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["uploadAssets"]
    return result


async def gql(http: httpx.AsyncClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stored_files(settings: AtelierSettings) -> list[Path]:
    """Every file kept under the uploads folder (temporary files included)."""
    folder = settings.uploads_dir
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


async def test_uploads_are_imported_like_files_on_disk(
    http: httpx.AsyncClient,
    settings: AtelierSettings,
    session_factory: SessionFactory,
    images: dict[str, bytes],
) -> None:
    token = await make_user_with_token(session_factory, "uploader")
    names = ["Faux_Tarot_e000010_00_20250607174543.png", "Faux_Tarot_e000010_01_20250607174555.png"]
    files = [(names[0], images[TAROT_0]), (names[1], images[TAROT_1])]
    files += [("sd-webui.jpg", images[A1111_JPEG]), ("forge-classic.webp", images[FORGE_WEBP])]
    result = payload(await upload(http, token, files))

    assert result["importedCount"] == 4
    assert result["sessionsChanged"] >= 1
    assert [item["outcome"] for item in result["results"]] == ["IMPORTED"] * 4
    assets = [item["asset"] for item in result["results"]]
    assert [item["fileName"] for item in result["results"]] == [name for name, _ in files]
    assert [asset["fileName"] for asset in assets] == [name for name, _ in files]
    assert [asset["tool"] for asset in assets] == ["civitai", "civitai", "a1111", "forge"]
    assert all(asset["prompt"] and asset["model"] for asset in assets)
    # the time hint in the file name survives the upload: it is the name the client sent
    assert assets[0]["createdAt"] == "2025-06-07T17:45:43+00:00"
    assert assets[0]["createdAtSource"] == "filename"
    for asset in assets:  # thumbnails made during the upload, served to the owner
        thumbnail = await http.get(asset["thumbnailUrl"])
        assert thumbnail.status_code == 200 and thumbnail.content[:4] == b"RIFF"

    # the two tarot cards (12 s apart) form one session
    sessions = (await gql(http, token, SESSIONS))["data"]["viewer"]["sessions"]["edges"]
    members = [{edge["node"]["id"] for edge in node["node"]["assets"]["edges"]} for node in sessions]
    assert {assets[0]["id"], assets[1]["id"]} in members
    assert result["sessionsChanged"] == len(sessions)  # a new library: every session is new

    # kept durably under uploads/<user>/<sha[:2]>/<sha>/<name>
    kept = stored_files(settings)
    assert len(kept) == 4
    for name, content in files:
        sha = hashlib.sha256(content).hexdigest()
        path = next(path for path in kept if path.name == name)
        assert path.parent.name == sha and path.parent.parent.name == sha[:2]
        assert path.read_bytes() == content


async def test_last_modified_is_the_stored_mtime_and_times_files_without_a_better_time(
    http: httpx.AsyncClient, session_factory: SessionFactory, images: dict[str, bytes]
) -> None:
    token = await make_user_with_token(session_factory, "syncer")
    files = [("sd-webui.jpg", images[A1111_JPEG]), ("forge-classic.webp", images[FORGE_WEBP])]
    result = payload(await upload(http, token, files, ["2026-03-14T20:00:00Z", "2026-03-14T21:00:40+01:00"]))
    assets = [item["asset"] for item in result["results"]]
    assert [asset["createdAt"] for asset in assets] == [
        "2026-03-14T20:00:00+00:00",
        "2026-03-14T20:00:40+00:00",
    ]
    assert {asset["createdAtSource"] for asset in assets} == {"file:mtime"}

    wrong = await upload(http, token, files, ["2026-03-14T20:00:00Z"])
    assert _field_error(wrong) == (
        "BAD_USER_INPUT",
        "`lastModified` holds 1 times for 2 files: give one per file.",
    )
    naive = await upload(http, token, files, ["2026-03-14T20:00:00", "2026-03-14T20:00:00Z"])
    assert "`lastModified[0]` has no UTC offset" in _field_error(naive)[1]


def _field_error(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None, body
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


async def test_the_same_bytes_again_are_a_duplicate_not_a_second_asset(
    http: httpx.AsyncClient,
    settings: AtelierSettings,
    session_factory: SessionFactory,
    images: dict[str, bytes],
) -> None:
    token = await make_user_with_token(session_factory, "repeater")
    first = payload(await upload(http, token, [("card.png", images[TAROT_0])]))
    asset_id = first["results"][0]["asset"]["id"]

    again = payload(
        await upload(
            http,
            token,
            [("card.png", images[TAROT_0]), ("renamed.png", images[TAROT_0]), ("card.png", images[TAROT_0])],
        )
    )
    assert again["importedCount"] == 0
    outcomes = [(item["fileName"], item["outcome"], item["asset"]["id"]) for item in again["results"]]
    assert outcomes == [
        ("card.png", "DUPLICATE", asset_id),
        ("renamed.png", "DUPLICATE", asset_id),
        ("card.png", "DUPLICATE", asset_id),
    ]
    assert again["results"][0]["reason"] is None
    assert again["results"][1]["reason"] == "same content as card.png"  # the client's name, not a path
    assert again["results"][2]["reason"] == "same file as card.png earlier in this upload"
    # one kept file: the duplicate under another name was not left behind
    assert [path.name for path in stored_files(settings)] == ["card.png"]
    sessions = (await gql(http, token, SESSIONS))["data"]["viewer"]["sessions"]["edges"]
    assert sum(edge["node"]["assetCount"] for edge in sessions) == 1


async def test_a_corrupt_file_is_a_problem_and_the_others_still_import(
    http: httpx.AsyncClient,
    settings: AtelierSettings,
    session_factory: SessionFactory,
    images: dict[str, bytes],
) -> None:
    token = await make_user_with_token(session_factory, "mixed")
    files = [
        ("cut.png", images[TAROT_0][:25]),  # ends inside the IHDR chunk
        ("huge.png", huge_ihdr_png()),  # declares 4294967295 × 4294967295 pixels
        ("good.jpg", images[A1111_JPEG]),
        ("notes.txt", b"hello"),
        ("huge.png", huge_ihdr_png()),  # the same bad file again: the same problem
    ]
    result = payload(await upload(http, token, files))
    cut, huge, good, ignored, huge_again = result["results"]
    assert huge_again == huge
    for problem in (cut, huge):
        assert problem["outcome"] == "PROBLEM" and problem["asset"] is None, problem
        assert problem["reason"] and str(settings.home) not in problem["reason"]
    assert "impossible size 4294967295x4294967295" in huge["reason"]
    assert good["outcome"] == "IMPORTED" and good["asset"]["tool"] == "a1111"
    assert ignored["outcome"] == "IGNORED" and "not an image file name" in ignored["reason"]
    assert result["importedCount"] == 1
    assert [path.name for path in stored_files(settings)] == ["good.jpg"]  # nothing kept for the others


def import_files_counted() -> dict[str, float]:
    """``atelier_import_files_total`` by outcome, as ``/metrics`` shows it in this process."""
    return {
        outcome: REGISTRY.get_sample_value("atelier_import_files_total", {"outcome": outcome}) or 0.0
        for outcome in ("imported", "known", "problem", "ignored")
    }


async def test_uploaded_files_are_counted_as_imports_in_the_metrics(
    http: httpx.AsyncClient, session_factory: SessionFactory, images: dict[str, bytes]
) -> None:
    token = await make_user_with_token(session_factory, "counted")
    before = import_files_counted()
    files = [
        ("good.jpg", images[A1111_JPEG]),
        ("again.jpg", images[A1111_JPEG]),
        ("cut.png", images[TAROT_0][:25]),
        ("notes.txt", b"hello"),
    ]
    outcomes = [item["outcome"] for item in payload(await upload(http, token, files))["results"]]

    assert outcomes == ["IMPORTED", "DUPLICATE", "PROBLEM", "IGNORED"]
    after = import_files_counted()
    assert {outcome: after[outcome] - before[outcome] for outcome in after} == {
        "imported": 1,
        "known": 1,
        "problem": 1,
        "ignored": 1,
    }


async def test_oversized_files_and_bodies_are_refused_with_413_and_nothing_is_stored(
    settings: AtelierSettings, session_factory: SessionFactory, images: dict[str, bytes]
) -> None:
    token = await make_user_with_token(session_factory, "big")
    limited = settings.model_copy(
        update={
            "upload_max_file_bytes": 1_500_000,
            "upload_max_request_bytes": 3_000_000,
            "upload_max_files": 3,
        }
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with app_http(limited) as http:
        too_big = await upload(http, token, [("small.jpg", images[A1111_JPEG]), ("big.png", images[TAROT_0])])
        assert too_big.status_code == 413
        error = too_big.json()["errors"][0]
        assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        assert (
            error["message"]
            == "The file `big.png` is larger than 1,500,000 bytes (the limit per uploaded file)."
        )

        body = [
            ("a.png", images[TAROT_1]),
            ("b.png", images[TAROT_1] + b"x"),
            ("c.png", images[TAROT_1] + b"y"),
        ]
        declared = await upload(http, token, body)  # 3.8 MB: refused from its Content-Length
        assert declared.status_code == 413
        assert declared.json()["errors"][0]["message"] == (
            "The request body is larger than 3,000,000 bytes (the limit for a multipart upload request)."
        )

        request = http.build_request("POST", "/graphql", headers=headers, **multipart(body))
        content = request.read()

        async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
            for start in range(0, len(content), 65536):
                yield content[start : start + 65536]

        chunked = await http.post(
            "/graphql",
            content=streamed(),
            headers=headers | {"content-type": request.headers["content-type"]},
        )
        assert chunked.status_code == 413
        assert "3,000,000 bytes" in chunked.json()["errors"][0]["message"]

        tiny = [(f"{i}.png", bytes([i])) for i in range(4)]
        too_many = await upload(http, token, tiny)
        assert too_many.status_code == 413
        assert too_many.json()["errors"][0]["message"] == "A multipart request carries at most 3 files."

        # a JSON request keeps its own 1 MB limit
        json_body = await http.post("/graphql", json={"query": "{ __typename }", "x": "y" * 1_100_000})
        assert json_body.status_code == 413

        sessions = (await gql(http, token, SESSIONS))["data"]["viewer"]["sessions"]["edges"]
    assert sessions == []
    assert stored_files(limited) == []


async def test_misused_multipart_requests_get_clear_errors(
    http: httpx.AsyncClient,
    settings: AtelierSettings,
    session_factory: SessionFactory,
    images: dict[str, bytes],
) -> None:
    token = await make_user_with_token(session_factory, "misuser")
    headers = {"Authorization": f"Bearer {token}"}
    as_json = await gql(http, token, UPLOAD, files=["not a file"])
    assert as_json["data"] is None
    assert as_json["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`files[0]` is not a file" in as_json["errors"][0]["message"]

    empty = await gql(http, token, UPLOAD, files=[])
    assert empty["errors"][0]["message"] == "`files` is empty: send at least one file."

    arguments = multipart([("a.png", images[TAROT_1])])
    operations, mapping = arguments["data"]["operations"], arguments["data"]["map"]
    cases = {
        "no map": ({"operations": operations}, "needs the form fields `operations`"),
        "map is a list": ({"operations": operations, "map": "[1]"}, "`map` must be an object of lists"),
        "map names a missing file": (
            {"operations": operations, "map": '{"9": ["variables.files.0"]}'},
            "names the file `9`, which the request lacks",
        ),
        "path outside variables": (
            {"operations": operations, "map": '{"0": ["query"]}'},
            "is not inside the operation's variables",
        ),
        "path that does not fit": (
            {"operations": operations, "map": '{"0": ["variables.files.7"]}'},
            "does not fit `operations`",
        ),
        "operations not JSON": ({"operations": "{", "map": mapping}, "Unable to parse the request as JSON"),
    }
    for label, (data, message) in cases.items():
        response = await http.post("/graphql", headers=headers, data=data, files=arguments["files"])
        assert response.status_code == 400, label
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST", label
        assert message in error["message"], (label, error["message"])

    not_multipart = await http.post(
        "/graphql", headers=headers, data={"operations": operations, "map": mapping}
    )
    assert not_multipart.status_code == 400  # a urlencoded form is no GraphQL request
    broken = await http.post(
        "/graphql", headers=headers | {"content-type": "multipart/form-data"}, content=b"--x\r\n"
    )
    assert broken.status_code == 400
    assert "multipart" in broken.json()["errors"][0]["message"]
    assert stored_files(settings) == []


async def test_read_only_tokens_and_anonymous_requests_are_refused_before_the_body_is_read(
    http: httpx.AsyncClient,
    settings: AtelierSettings,
    session_factory: SessionFactory,
    images: dict[str, bytes],
) -> None:
    reader = await make_user_with_token(session_factory, "reader", scopes=["library:read"])
    request = http.build_request("POST", "/graphql", **multipart([("a.png", images[TAROT_1])]))
    content, content_type = request.read(), request.headers["content-type"]
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:  # records how much of the body the server asked for
        for start in range(0, len(content), 65536):
            sent.append(start)
            yield content[start : start + 65536]

    for token, status, code in ((reader, 403, "FORBIDDEN"), (None, 401, "UNAUTHENTICATED")):
        sent.clear()
        headers = {"content-type": content_type} | ({"Authorization": f"Bearer {token}"} if token else {})
        refused = await http.post("/graphql", content=body(), headers=headers)
        assert refused.status_code == status
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == code
        assert sent == []  # not one chunk of the files was read
    assert (
        "lacks the `library:write` scope"
        in (
            await http.post(
                "/graphql",
                content=body(),
                headers={"content-type": content_type, "Authorization": f"Bearer {reader}"},
            )
        ).json()["errors"][0]["message"]
    )
    assert stored_files(settings) == []

    writer = await make_user_with_token(session_factory, "writer")
    sent.clear()
    accepted = await http.post(
        "/graphql",
        content=body(),
        headers={"content-type": content_type, "Authorization": f"Bearer {writer}"},
    )
    assert payload(accepted)["importedCount"] == 1 and len(sent) > 1  # the same body, read when allowed

    # the mutation itself is refused the same way when its files arrive as JSON (no multipart)
    as_json = await gql(http, reader, UPLOAD, files=["x"])
    assert as_json["errors"][0]["extensions"]["code"] == "FORBIDDEN" and as_json["data"] is None


async def test_another_user_never_sees_an_upload(
    http: httpx.AsyncClient,
    settings: AtelierSettings,
    session_factory: SessionFactory,
    images: dict[str, bytes],
) -> None:
    alice = await make_user_with_token(session_factory, "alice")
    bob = await make_user_with_token(session_factory, "bob")
    mine = payload(await upload(http, alice, [("card.png", images[TAROT_0])]))["results"][0]["asset"]

    assert (await gql(http, bob, NODE, id=mine["id"]))["data"]["node"] is None
    assert (await gql(http, bob, SESSIONS))["data"]["viewer"]["sessions"]["edges"] == []
    # the same bytes from bob are his own new asset, not alice's
    his = payload(await upload(http, bob, [("card.png", images[TAROT_0])]))["results"][0]
    assert his["outcome"] == "IMPORTED" and his["asset"]["id"] != mine["id"]
    owners = {path.relative_to(settings.uploads_dir).parts[0] for path in stored_files(settings)}
    assert len(owners) == 2


async def test_file_names_lose_folders_and_control_characters(
    http: httpx.AsyncClient,
    settings: AtelierSettings,
    session_factory: SessionFactory,
    images: dict[str, bytes],
) -> None:
    token = await make_user_with_token(session_factory, "namer")
    result = payload(
        await upload(
            http,
            token,
            [
                ("../../etc/passwd", b"root:x:0:0"),
                ("../../evil.png", images[TAROT_1]),
                ("..", images[A1111_JPEG]),
            ],
        )
    )
    outcomes = [(item["fileName"], item["outcome"]) for item in result["results"]]
    assert outcomes == [("passwd", "IGNORED"), ("evil.png", "IMPORTED"), ("upload", "IGNORED")]
    kept = stored_files(settings)
    assert [path.name for path in kept] == ["evil.png"]
    assert kept[0].is_relative_to(settings.uploads_dir)

    # raw bytes in the part header: NUL, tab and escape characters, a Windows path
    boundary = "b0undary"
    operations = json.dumps({"query": UPLOAD, "variables": {"files": [None]}})
    start = f"--{boundary}\r\nContent-Disposition: form-data; "
    parts = [
        f'{start}name="operations"\r\n\r\n{operations}\r\n'.encode(),
        f'{start}name="map"\r\n\r\n{{"0": ["variables.files.0"]}}\r\n'.encode(),
        f'{start}name="0"; filename="C:\\\\x\\\\a\x00b\tc\x1bd.jpg"\r\n'.encode()
        + b"Content-Type: image/jpeg\r\n\r\n"
        + images[A1111_JPEG]
        + f"\r\n--{boundary}--\r\n".encode(),
    ]
    response = await http.post(
        "/graphql",
        content=b"".join(parts),
        headers={
            "Authorization": f"Bearer {token}",
            "content-type": f"multipart/form-data; boundary={boundary}",
        },
    )
    item = payload(response)["results"][0]
    assert item["fileName"] == "a_b_c_d.jpg"
    assert item["outcome"] == "IMPORTED" and item["asset"]["fileName"] == "a_b_c_d.jpg"


def readme_upload_command() -> str:
    """The README's ``curl`` upload example, as written there."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    blocks = re.findall(r"```\n(curl [^`]*?uploadAssets[^`]*?)```", readme)
    assert len(blocks) == 1, "the README shows one curl upload"
    return str(blocks[0])


async def test_the_readme_curl_upload_works_over_a_real_socket(
    settings: AtelierSettings, session_factory: SessionFactory, images: dict[str, bytes], tmp_path: Path
) -> None:
    """The app served by uvicorn (as ``atelier serve`` does), curl as the client: the README's
    example, and an oversized file's 413 answered while curl is still sending."""
    token = await make_user_with_token(session_factory, "curler")
    (tmp_path / "ComfyUI_00042_.png").write_bytes(images[TAROT_0])
    (tmp_path / "ComfyUI_00043_.png").write_bytes(images[TAROT_1])
    limited = settings.model_copy(update={"upload_max_file_bytes": 1_500_000})
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(limited), port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    env = os.environ | {"TOKEN": token}
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        assert server.started
        command = readme_upload_command().replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
        # the first file (1.96 MB) is over this server's 1.5 MB limit: refused whole, nothing stored
        refused = await _run(command, tmp_path, env)
        assert refused["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        assert "ComfyUI_00042_.png" in refused["errors"][0]["message"]
        assert stored_files(settings) == []

        (tmp_path / "ComfyUI_00042_.png").write_bytes(images[A1111_JPEG])  # small enough
        answer = await _run(command, tmp_path, env)
        results = answer["data"]["uploadAssets"]["results"]
        assert [(item["fileName"], item["outcome"]) for item in results] == [
            ("ComfyUI_00042_.png", "IMPORTED"),
            ("ComfyUI_00043_.png", "IMPORTED"),
        ]
        assert all(item["asset"]["thumbnailUrl"] for item in results)
    finally:
        server.should_exit = True
        await serving


async def _run(command: str, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    shell = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        command,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await shell.communicate()
    assert shell.returncode == 0, stderr.decode()
    body: dict[str, Any] = json.loads(stdout)
    return body


async def test_an_upload_looks_its_token_up_once(
    http: httpx.AsyncClient, session_factory: SessionFactory, images: dict[str, bytes]
) -> None:
    """The refusal check before the body is read finds the principal; the GraphQL context reuses it
    (api/bearer_auth.py) instead of looking the token up again. Counted at the driver."""
    token = await make_user_with_token(session_factory, "uploader")
    lookups: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM api_tokens" in statement:
            lookups.append(" ".join(statement.split())[:60])

    event.listen(Engine, "before_cursor_execute", count)
    try:
        result = payload(await upload(http, token, [("card.png", images[TAROT_0])]))
        uploaded = list(lookups)
        lookups.clear()
        read = await gql(http, token, SESSIONS)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert result["importedCount"] == 1
    assert len(uploaded) == 1, uploaded
    assert read["data"]["viewer"]["sessions"]["edges"] and len(lookups) == 1, lookups  # JSON: one, as before
