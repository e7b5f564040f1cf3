"""How long `ansinh seed --profile tra-vinh` takes, and where its time goes, on a real stack.

The seed runs at a measured scale (0.05 by default, 0.005 with --quick; ANSINH_BENCH_SEED_SCALE overrides) through
the gateway, exactly as the command does. Per stage: wall time, and the CPU time the five processes and the
PostgreSQL server spent (psutil, so a shared machine's other work is not counted), and the seed's own CPU. The
full-scale time is an extrapolation: each stage's time multiplied by 1/scale (the counts it scales with grow
linearly); the year of payrolls also has a part per batch (communes × programmes × months) that does not grow, so the
extrapolation overstates it, as the results say.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from ansinh.database import in_gateway_db
from ansinh.seed.api import Api
from ansinh.seed.run import ROLES, STAGES, Options, Progress, Seeder, State
from ansinh.seed.world import TRA_VINH, build

from .harness import ROOT, admin_url, machine, record, running_stack

UNIT = {
    "persons": "persons",
    "households": "households",
    "beneficiaries": "beneficiaries",
    "centre": "residents",
    "artisans": "artisans",
    "projection": "beneficiaries",
    "year_of_payrolls": "beneficiaries",
    "longevity": "elderly",
    "emergency": "reliefs",
    "insurance": "persons",
    "child_protection": "cases",
}


def _cpu(procs: dict[str, list[psutil.Process]]) -> dict[str, float]:
    """CPU time of each group of ``procs`` (a component, or PostgreSQL) and their children, living or ended:
    PostgreSQL's backends come and go, and a backend that ended is counted in its postmaster's ``children_*`` times
    (else a stage would lose what it ran)."""
    out: dict[str, float] = {}
    for name, group in procs.items():
        total = 0.0
        for p in group:
            try:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
                for c in p.children(recursive=True):
                    ct = c.cpu_times()
                    total += ct.user + ct.system
            except psutil.NoSuchProcess:
                pass
        out[name] = total
    return out


def _postgres() -> list[psutil.Process]:
    return [
        p
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"]
        and p.info["name"].startswith("postgres")
        and str(ROOT / "var" / "bench-pg") in " ".join(p.info["cmdline"] or [])  # this checkout's, not a neighbour's
    ]


async def _run(stack: Any, scale: float) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    creds = {}
    for role, scopes in ROLES.items():
        client_id = f"bench-seed-{role}"

        async def create(session, client_id=client_id, scopes=scopes):  # type: ignore[no-untyped-def]
            from gateway.auth import service as auth_service

            return (
                await auth_service.create_client(
                    session, client_id, scopes=scopes, areas=[], rate_per_second=1_000_000, burst=1_000_000
                )
            ).secret

        creds[role] = (client_id, await in_gateway_db(stack.config.urls()["gateway"], create))
    options = Options(scale=scale, seed=1)
    year, through = options.resolved()
    world = build(options.seed, scale, year, through, options.today)
    sizes = {
        "persons": len(world.persons),
        "households": len(world.households),
        "beneficiaries": len(world.grants) + len(world.new_grants),
        "residents": len(world.residents),
        "artisans": len(world.artisans),
        "elderly": sum(1 for p in world.persons if p.key.startswith("e")),
        "reliefs": len(world.emergencies),
        "cases": len(world.cases),
    }
    procs = {name: [psutil.Process(p.pid)] for name, p in stack.procs.items()} | {"postgres": _postgres()}
    me = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        state = State(Path(tmp) / "seed.json", {"bench": scale})
        api = Api(stack.url("gateway"), creds)
        seeder = Seeder(api, world, state, options, Progress(False))
        out: dict[str, dict[str, float]] = {}
        try:
            for stage in STAGES:
                wall, cpu, mine, calls = time.monotonic(), _cpu(procs), me.cpu_times(), api.calls
                await getattr(seeder, stage)()
                after, cpu_after = me.cpu_times(), _cpu(procs)
                each = {name: cpu_after[name] - cpu[name] for name in procs}
                out[stage] = {
                    "wall": time.monotonic() - wall,
                    "cpu": sum(each.values()),
                    "seed_cpu": after.user + after.system - mine.user - mine.system,
                    "calls": api.calls - calls,
                }
                print(
                    f"  {stage:<18} {out[stage]['wall']:7.1f} s wall  {out[stage]['cpu']:7.1f} s CPU (suite: "
                    + ", ".join(f"{name} {v:.1f}" for name, v in each.items())
                    + f")  {out[stage]['seed_cpu']:5.1f} s CPU (seed)  {out[stage]['calls']:6.0f} calls"
                )
        finally:
            await api.close()
    return out, sizes


def run(quick: bool = False, write: bool = True) -> None:
    scale = float(os.environ.get("ANSINH_BENCH_SEED_SCALE") or (0.005 if quick else 0.05))
    load_before = os.getloadavg()
    with admin_url() as admin, running_stack(admin) as stack:
        stages, sizes = asyncio.run(_run(stack, scale))
    load_after = os.getloadavg()
    factor = 1 / scale
    total_wall = sum(s["wall"] for s in stages.values())
    total_cpu = sum(s["cpu"] for s in stages.values())
    rows = []
    est_wall = est_cpu = 0.0
    for stage, s in stages.items():
        unit = UNIT[stage]
        fixed = stage in ("centre", "artisans")  # counts with floors: small at any scale
        mult = 1.0 if fixed and sizes[unit] <= 3 else factor
        est_wall += s["wall"] * mult
        est_cpu += s["cpu"] * mult
        rows.append(
            f"| {stage} | {sizes[unit]:,} {unit} | {s['calls']:,.0f} | {s['wall']:.1f} | {s['cpu']:.1f} | "
            f"{s['seed_cpu']:.1f} | {s['cpu'] * mult / 60:.1f} |"
        )
    body = f"""## Seeding the Trà Vinh profile (`bench/seed.py`, `--only seed`)

Machine: {machine()}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (a machine shared with
other work: wall times are inflated by it, CPU times much less). Scale **{scale}** measured
({sizes["persons"]:,} persons, {sizes["beneficiaries"]:,} beneficiaries), one month of the year per payroll month up to
this month. CPU (suite) is the gateway's, the four services' and PostgreSQL's CPU time during the stage; seed CPU the
seeding process's own.

| stage | size at this scale | API calls | wall (s) | CPU suite (s) | seed CPU (s) | full scale, extrapolated (CPU min, suite) |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}
| **total** | | {sum(s["calls"] for s in stages.values()):,.0f} | {total_wall:.1f} | {total_cpu:.1f} | | **{est_cpu / 60:.0f}** |

Full scale (scale 1.0: {TRA_VINH["beneficiaries"]:,} beneficiaries, {TRA_VINH["children_under_6"]:,} children) was
not run here; the last column multiplies each stage's CPU by 1/{scale} (linear in what it scales with). That overstates the
year of payrolls, whose per-batch part (41 communes × programmes × months) does not grow with the province, and
ignores that the imports are set-based (they grow slower than linearly). Extrapolated wall time at this machine's
load: {est_wall / 60:.0f} min.
"""
    print(body)
    if write:
        record("seed", body)
