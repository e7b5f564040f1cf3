"""deploy/k8s validates against the Kubernetes API schemas (strict: no unknown fields), offline, and says
what an operator relies on: readiness on /ready, resources, a migration Job, no secret values, PDBs and HPAs.
"""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES = "1.33.0"
COMPONENTS = ["gateway", "registry", "payments", "insurance", "child-protection"]


def documents(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def manifests() -> list[str]:
    return sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def rendered() -> list[dict]:
    return [
        d for name in yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"] for d in documents(name)
    ]


def by_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in rendered() if d["kind"] == kind}


@pytest.mark.parametrize("name", manifests())
def test_every_manifest_is_valid_kubernetes(name):
    for doc in documents(name):
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_validation_refuses_an_unknown_field():
    [deployment] = [d for d in documents("registry.yaml") if d["kind"] == "Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_the_kustomization_applies_every_manifest_but_the_secret_example():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == set(manifests()) - {"secrets.example.yaml"}


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_component_has_readiness_resources_a_budget_and_an_autoscaler(component):
    deployment = by_kind("Deployment")[component]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert deployment["spec"]["replicas"] >= 2
    assert by_kind("PodDisruptionBudget")[component]["spec"]["minAvailable"] == 1
    assert by_kind("HorizontalPodAutoscaler")[component]["spec"]["scaleTargetRef"]["name"] == component
    assert by_kind("Service")[component]


def test_credentials_come_from_secrets_and_the_repository_holds_no_secret_value():
    for doc in rendered():
        assert doc["kind"] != "Secret"
        text = yaml.safe_dump(doc)
        assert "password" not in text.lower() or "secretKeyRef" in text
    for secret in documents("secrets.example.yaml"):
        assert set(secret["stringData"].values()) == {""}


def test_a_migration_job_runs_ansinh_migrate():
    job = by_kind("Job")["migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["ansinh", "migrate"]


def test_tls_ends_at_the_ingress_with_hsts():
    ingress = by_kind("Ingress")["gateway"]
    assert ingress["spec"]["tls"][0]["secretName"]
    assert (
        "Strict-Transport-Security"
        in ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/configuration-snippet"]
    )
    assert by_kind("Service")["gateway"]["spec"].get("type", "ClusterIP") == "ClusterIP"


def test_the_ingress_sends_traffic_to_the_nginx_data_plane_rendered_from_the_gateway():
    from gateway import nginx

    assert by_kind("Ingress")["gateway"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "edge"
    [generated] = yaml.safe_load((K8S / "kustomization.yaml").read_text())["configMapGenerator"]
    assert generated == {"name": "edge-nginx", "files": ["nginx.conf=edge-nginx.conf"]}
    assert (K8S / "edge-nginx.conf").read_text() == nginx.render(**nginx.KUBERNETES)  # type: ignore[arg-type]
    [container] = by_kind("Deployment")["edge"]["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert by_kind("PodDisruptionBudget")["edge"] and by_kind("HorizontalPodAutoscaler")["edge"]
