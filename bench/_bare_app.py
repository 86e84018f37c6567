"""The baseline of bench.api_load: a bare FastAPI endpoint returning a constant."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
def bare() -> dict[str, bool]:
    return {"ok": True}
