@US1 @behaviour
Feature: Alerts fire when their condition holds long enough, and only then
  The real Prometheus rule engine (promtool) evaluates the homelab's rules file against
  the series each scenario describes. Series are scraped every minute; a value such as
  "1x10" means the value 1 for ten more minutes, "0+600x20" a counter growing by 600 a
  minute for twenty minutes.

  @plan
  Rule: A systemd unit in state failed for 5 minutes raises SystemdServiceFailed

    Scenario: A unit failed for 6 minutes
      Given Prometheus has scraped a systemd unit on pve1 that is failed:
        | series                                                                                         | values |
        | node_systemd_unit_state{job="node",instance="pve1",name="backup.service",state="failed",type="oneshot"} | 1x10   |
        | node_systemd_unit_state{job="node",instance="pve1",name="backup.service",state="active",type="oneshot"} | 0x10   |
      When 6 minutes have passed
      Then SystemdServiceFailed fires with severity warning

    Scenario: A unit failed for only 4 minutes
      Given Prometheus has scraped a systemd unit on pve1 that is failed:
        | series                                                                                         | values |
        | node_systemd_unit_state{job="node",instance="pve1",name="backup.service",state="failed",type="oneshot"} | 1x10   |
      When 4 minutes have passed
      Then SystemdServiceFailed is pending but does not fire yet

    Scenario: A unit that is active
      Given Prometheus has scraped a systemd unit on pve1 that is active:
        | series                                                                                         | values |
        | node_systemd_unit_state{job="node",instance="pve1",name="backup.service",state="failed",type="oneshot"} | 0x20   |
        | node_systemd_unit_state{job="node",instance="pve1",name="backup.service",state="active",type="oneshot"} | 1x20   |
      When 20 minutes have passed
      Then SystemdServiceFailed does not fire

  @plan
  Rule: A 15-minute load above twice the CPU count for 10 minutes raises HighLoadAverage

    Scenario: Load 5 on 2 CPUs for 11 minutes
      Given Prometheus has scraped a host with 2 CPUs and a 15-minute load of 5:
        | series                                                                | values   |
        | node_load15{job="node",instance="pve1"}                               | 5x20     |
        | node_cpu_seconds_total{job="node",instance="pve1",cpu="0",mode="idle"} | 0+30x20  |
        | node_cpu_seconds_total{job="node",instance="pve1",cpu="1",mode="idle"} | 0+30x20  |
        | node_cpu_seconds_total{job="node",instance="pve1",cpu="0",mode="user"} | 0+30x20  |
      When 11 minutes have passed
      Then HighLoadAverage fires with severity warning

    Scenario: Load 5 on 2 CPUs for only 9 minutes
      Given Prometheus has scraped a host with 2 CPUs and a 15-minute load of 5:
        | series                                                                | values   |
        | node_load15{job="node",instance="pve1"}                               | 5x20     |
        | node_cpu_seconds_total{job="node",instance="pve1",cpu="0",mode="idle"} | 0+30x20  |
        | node_cpu_seconds_total{job="node",instance="pve1",cpu="1",mode="idle"} | 0+30x20  |
      When 9 minutes have passed
      Then HighLoadAverage is pending but does not fire yet

    Scenario: Load 3 on 2 CPUs
      Given Prometheus has scraped a host with 2 CPUs and a 15-minute load of 3:
        | series                                                                | values   |
        | node_load15{job="node",instance="pve1"}                               | 3x30     |
        | node_cpu_seconds_total{job="node",instance="pve1",cpu="0",mode="idle"} | 0+30x30  |
        | node_cpu_seconds_total{job="node",instance="pve1",cpu="1",mode="idle"} | 0+30x30  |
      When 30 minutes have passed
      Then HighLoadAverage does not fire

  @plan
  Rule: More than 10 network errors a second on one interface for 5 minutes raises HighNetworkErrors

    Scenario: 15 errors a second on eth0 for 10 minutes
      Given Prometheus has scraped an interface with 10 receive and 5 transmit errors a second:
        | series                                                                           | values    |
        | node_network_receive_errs_total{job="node",instance="pve1",device="eth0"}        | 0+600x20  |
        | node_network_transmit_errs_total{job="node",instance="pve1",device="eth0"}       | 0+300x20  |
      When 10 minutes have passed
      Then HighNetworkErrors fires with severity warning

    Scenario: 15 errors a second for only 8 minutes
      The 5-minute rate needs about 4 minutes of counting to pass 10 a second; only then
      do the 5 minutes of "for" start.

      Given Prometheus has scraped an interface with 10 receive and 5 transmit errors a second:
        | series                                                                           | values    |
        | node_network_receive_errs_total{job="node",instance="pve1",device="eth0"}        | 0+600x20  |
        | node_network_transmit_errs_total{job="node",instance="pve1",device="eth0"}       | 0+300x20  |
      When 8 minutes have passed
      Then HighNetworkErrors is pending but does not fire yet

    Scenario: 5 errors a second
      Given Prometheus has scraped an interface with 3 receive and 2 transmit errors a second:
        | series                                                                           | values    |
        | node_network_receive_errs_total{job="node",instance="pve1",device="eth0"}        | 0+180x30  |
        | node_network_transmit_errs_total{job="node",instance="pve1",device="eth0"}       | 0+120x30  |
      When 30 minutes have passed
      Then HighNetworkErrors does not fire

  @plan
  Rule: Any rule evaluation failure in 5 minutes, for 5 minutes, raises PrometheusRuleEvaluationFailures

    Scenario: One failure every minute
      Given Prometheus has scraped its own rule evaluation failures, one more every minute:
        | series                                                                                              | values  |
        | prometheus_rule_evaluation_failures_total{job="prometheus",instance="localhost:9090",rule_group="default.yml;node-alerts"} | 0+1x20  |
      When 7 minutes have passed
      Then PrometheusRuleEvaluationFailures fires with severity warning

    Scenario: Failures for only 4 minutes
      Given Prometheus has scraped its own rule evaluation failures, one more every minute:
        | series                                                                                              | values  |
        | prometheus_rule_evaluation_failures_total{job="prometheus",instance="localhost:9090",rule_group="default.yml;node-alerts"} | 0+1x20  |
      When 4 minutes have passed
      Then PrometheusRuleEvaluationFailures is pending but does not fire yet

    Scenario: Old failures, none new
      Given Prometheus has scraped its own rule evaluation failures, unchanged at 3:
        | series                                                                                              | values  |
        | prometheus_rule_evaluation_failures_total{job="prometheus",instance="localhost:9090",rule_group="default.yml;node-alerts"} | 3x30    |
      When 30 minutes have passed
      Then PrometheusRuleEvaluationFailures does not fire

  @plan
  Rule: Inode use above 90% on a real filesystem for 5 minutes raises NodeFilesystemAlmostOutOfInodes

    Scenario: 95% of the inodes of / used
      Given Prometheus has scraped an ext4 root filesystem with 5000 of 100000 inodes free:
        | series                                                                                            | values   |
        | node_filesystem_files{job="node",instance="pve1",device="/dev/sda1",fstype="ext4",mountpoint="/"}      | 100000x20 |
        | node_filesystem_files_free{job="node",instance="pve1",device="/dev/sda1",fstype="ext4",mountpoint="/"} | 5000x20   |
      When 6 minutes have passed
      Then NodeFilesystemAlmostOutOfInodes fires with severity warning

    Scenario: 95% used for only 4 minutes
      Given Prometheus has scraped an ext4 root filesystem with 5000 of 100000 inodes free:
        | series                                                                                            | values   |
        | node_filesystem_files{job="node",instance="pve1",device="/dev/sda1",fstype="ext4",mountpoint="/"}      | 100000x20 |
        | node_filesystem_files_free{job="node",instance="pve1",device="/dev/sda1",fstype="ext4",mountpoint="/"} | 5000x20   |
      When 4 minutes have passed
      Then NodeFilesystemAlmostOutOfInodes is pending but does not fire yet

    Scenario: 85% of the inodes used
      Given Prometheus has scraped an ext4 root filesystem with 15000 of 100000 inodes free:
        | series                                                                                            | values   |
        | node_filesystem_files{job="node",instance="pve1",device="/dev/sda1",fstype="ext4",mountpoint="/"}      | 100000x30 |
        | node_filesystem_files_free{job="node",instance="pve1",device="/dev/sda1",fstype="ext4",mountpoint="/"} | 15000x30  |
      When 30 minutes have passed
      Then NodeFilesystemAlmostOutOfInodes does not fire

    Scenario: A tmpfs at 99% is not a real filesystem
      Given Prometheus has scraped a tmpfs with 1000 of 100000 inodes free:
        | series                                                                                          | values    |
        | node_filesystem_files{job="node",instance="pve1",device="tmpfs",fstype="tmpfs",mountpoint="/run"}      | 100000x30 |
        | node_filesystem_files_free{job="node",instance="pve1",device="tmpfs",fstype="tmpfs",mountpoint="/run"} | 1000x30   |
      When 30 minutes have passed
      Then NodeFilesystemAlmostOutOfInodes does not fire

  Rule: The v1.0 alerts of every group still behave

    Scenario: node-alerts: a host that stops answering scrapes
      Given Prometheus has scraped a host that is down:
        | series                           | values |
        | up{job="node",instance="pve1"}   | 0x10   |
      When 3 minutes have passed
      Then HostDown fires with severity critical

    Scenario: proxmox-alerts: a guest that starts at boot is not running
      Given Prometheus has scraped a stopped guest that starts at boot:
        | series                                                                                          | values |
        | pve_up{job="pve",instance="pve-exporter",id="qemu/101"}                                         | 0x10   |
        | pve_guest_info{job="pve",instance="pve-exporter",id="qemu/101",name="nextcloud",node="pve1",type="qemu",template="0"} | 1x10   |
        | pve_onboot_status{job="pve",instance="pve-exporter",id="qemu/101",node="pve1",type="qemu"}     | 1x10   |
      When 6 minutes have passed
      Then ProxmoxGuestDown fires with severity warning

    Scenario: proxmox-alerts: a guest stopped on purpose is not an outage
      Given Prometheus has scraped a stopped guest that does not start at boot:
        | series                                                                                          | values |
        | pve_up{job="pve",instance="pve-exporter",id="qemu/102"}                                         | 0x20   |
        | pve_guest_info{job="pve",instance="pve-exporter",id="qemu/102",name="sandbox",node="pve1",type="qemu",template="0"} | 1x20   |
        | pve_onboot_status{job="pve",instance="pve-exporter",id="qemu/102",node="pve1",type="qemu"}     | 0x20   |
      When 20 minutes have passed
      Then ProxmoxGuestDown does not fire

    Scenario: prometheus-alerts: a configuration reload that failed
      Given Prometheus has scraped its own failed configuration reload:
        | series                                                                                  | values |
        | prometheus_config_last_reload_successful{job="prometheus",instance="localhost:9090"}    | 0x10   |
      When 6 minutes have passed
      Then PrometheusConfigReloadFailed fires with severity warning

    Scenario: backup-alerts: a backup run that failed
      Given Prometheus has scraped a failed backup of guest 101:
        | series                                                                                    | values |
        | homelab_backup_last_run_success{job="node",instance="pve1",vmid="101",storage="pbs"}      | 0x10   |
      When 6 minutes have passed
      Then BackupFailed fires with severity critical

    Scenario: backup-alerts: no backup metrics at all for an hour
      Given Prometheus has scraped a host that publishes no backup metrics:
        | series                           | values |
        | up{job="node",instance="pve1"}   | 1x70   |
      When 61 minutes have passed
      Then BackupMetricsMissing fires with severity warning

    Scenario: drift-alerts: drift in a module for more than 30 minutes
      Given Prometheus has scraped a drift check that found changes in the vm module:
        | series                                                                        | values |
        | homelab_terraform_drift_detected{job="node",instance="pve1",module="vm"}      | 1x40   |
      When 31 minutes have passed
      Then TerraformDriftDetected fires with severity warning

    Scenario: health-alerts: a failing health check
      Given Prometheus has scraped a failing DNS health check:
        | series                                                                   | values |
        | homelab_health_check_success{job="node",instance="pve1",check="dns"}     | 0x10   |
      When 6 minutes have passed
      Then HealthCheckFailed fires with severity critical

    Scenario: lifecycle-alerts: a certificate that expires in 10 days
      Given Prometheus has scraped a certificate that expires 10 days after the start:
        | series                                                                                        | values    |
        | homelab_certificate_expiry_timestamp_seconds{job="node",instance="pve1",certificate="proxmox"} | 864000x70 |
      When 61 minutes have passed
      Then CertificateExpiringSoon fires with severity warning

    Scenario: lifecycle-alerts: a certificate that expires in 30 days
      Given Prometheus has scraped a certificate that expires 30 days after the start:
        | series                                                                                        | values     |
        | homelab_certificate_expiry_timestamp_seconds{job="node",instance="pve1",certificate="proxmox"} | 2592000x70 |
      When 61 minutes have passed
      Then CertificateExpiringSoon does not fire
