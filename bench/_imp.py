"""In-process import profile: 50,000 persons into a fresh bench database; wall, own CPU, backend CPU; cProfile top."""
import asyncio, cProfile, pstats, secrets, sys, time, io
import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from ansinh import database, local
from ansinh.stack import StackConfig, prepare_database
from common.auth import Principal
from common.settings import to_asyncpg_url
from bench.registry import generate, to_csv, _communes
from services.registry.imports import service

N = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
PROF = "--prof" in sys.argv

async def main(admin):
    passwords = {c: secrets.token_urlsafe(16) for c in database.COMPONENTS}
    cfg = StackConfig(admin_url=admin, database="ansinh_bench", passwords=passwords, environment="test")
    await database.drop_database(admin, "ansinh_bench")
    await prepare_database(cfg)
    communes = await _communes(admin)
    body = to_csv(generate(N, communes))
    eng = create_async_engine(to_asyncpg_url(cfg.urls()["registry"]))
    p = Principal(client_id="bench", scopes=frozenset({"admin"}), areas=(), issued_at=0, expires_at=2**31)
    for attempt in range(2):
        async with AsyncSession(eng, expire_on_commit=False) as s:
            bp = psutil.Process(await s.scalar(text("SELECT pg_backend_pid()")))
            b0 = sum(bp.cpu_times()[:2]); c0 = time.process_time(); w0 = time.perf_counter()
            prof = cProfile.Profile() if PROF and attempt == 0 else None
            if prof: prof.enable()
            rec = await service.run(s, p, "persons", body, "text/csv")
            await s.commit()
            if prof: prof.disable()
            w = time.perf_counter() - w0; c = time.process_time() - c0; b = sum(bp.cpu_times()[:2]) - b0
            print(f"attempt {attempt}: imported {rec.imported} dup {rec.duplicates} rejected {rec.rejected}: wall {w:.2f} s "
                  f"({N / w:,.0f}/s), python cpu {c:.2f} s, backend cpu {b:.2f} s", flush=True)
            if prof:
                st = io.StringIO(); pstats.Stats(prof, stream=st).sort_stats("cumulative").print_stats(35); print(st.getvalue()[:9000])
    await eng.dispose()

with local.EmbeddedPostgres("bench-pg") as admin:
    asyncio.run(main(admin))
