#!/usr/bin/env python3
"""Turns the monitoring stack's rendered prometheus.yml (as JSON, from `terraform console`)
into the configuration of a scratch server on 127.0.0.1: every target and the Alertmanager
point at stand-ins on this machine, the rules are the homelab's file, intervals are 1 s so
the scrape is quick. With --with CONFIG, one configuration the stack does not use is added
(remote_write, remote_read, consul_sd_configs, ...), to learn the metrics it brings.

Writes JSON, which Prometheus reads as YAML. Standard library only.
"""

import argparse
import json

# Configuration the stack does not use, each pointing at the stand-in (STUB) or nowhere.
EXTRA = {
    "remote_write": lambda stub: {"remote_write": [{"url": f"http://{stub}/write"}]},
    "remote_read": lambda stub: {"remote_read": [{"url": f"http://{stub}/read"}]},
    "consul_sd_configs": lambda stub: {"scrape_configs": [
        {"job_name": "extra", "consul_sd_configs": [{"server": stub}]}]},
    "http_sd_configs": lambda stub: {"scrape_configs": [
        {"job_name": "extra", "http_sd_configs": [{"url": f"http://{stub}/sd"}]}]},
    "kubernetes_sd_configs": lambda stub: {"scrape_configs": [
        {"job_name": "extra", "kubernetes_sd_configs": [{"role": "pod", "api_server": f"http://{stub}"}]}]},
    "dns_sd_configs": lambda stub: {"scrape_configs": [
        {"job_name": "extra", "dns_sd_configs": [{"names": ["catalog.invalid"], "type": "A", "port": 9100}]}]},
    "file_sd_configs": lambda stub: {"scrape_configs": [
        {"job_name": "extra", "file_sd_configs": [{"files": ["/nonexistent/catalog-*.json"]}]}]},
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rendered", required=True, help="the stack's prometheus.yml as JSON")
    p.add_argument("--self", required=True, help="host:port of this Prometheus")
    p.add_argument("--stub", required=True, help="host:port of the stand-in")
    p.add_argument("--node", required=True, help="host:port of a node-exporter")
    p.add_argument("--rules", required=True)
    p.add_argument("--with", dest="extra", choices=sorted(EXTRA))
    args = p.parse_args()

    with open(args.rendered, encoding="utf-8") as f:
        config = json.load(f)
    config["global"]["scrape_interval"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    config["rule_files"] = [args.rules]
    for am in config.get("alerting", {}).get("alertmanagers", []):
        for sc in am.get("static_configs", []):
            sc["targets"] = [args.stub]
    for job in config["scrape_configs"]:
        target = {"prometheus": args.self, "node": args.node}.get(job["job_name"], args.stub)
        for sc in job.get("static_configs", []):
            sc["targets"] = [target]
        for rc in job.get("relabel_configs", []):
            if rc.get("target_label") == "__address__":
                rc["replacement"] = args.stub
    if args.extra:
        for key, value in EXTRA[args.extra](args.stub).items():
            if isinstance(value, list):
                config.setdefault(key, []).extend(value)
            else:
                config[key] = value
    print(json.dumps(config, indent=1))


if __name__ == "__main__":
    main()
