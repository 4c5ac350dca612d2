# What the backup module plans with typical inputs (v1.0).

mock_provider "proxmox" {}

variables {
  node_name = "pve"
  job_id    = "nightly"
  storage   = "pbs"
  vm_ids    = [101, 102, 201]
}

run "plans_the_job_with_its_settings" {
  command = plan

  assert {
    condition     = terraform_data.backup_job.input.id == "nightly" && terraform_data.backup_job.input.node == "pve"
    error_message = "The job must carry its id and node."
  }

  assert {
    condition     = terraform_data.backup_job.input.storage == "pbs" && terraform_data.backup_job.input.mode == "snapshot" && terraform_data.backup_job.input.compress == "zstd"
    error_message = "Storage, mode (snapshot) and compression (zstd) must reach the job."
  }

  assert {
    condition     = terraform_data.backup_job.input.vmid == "101,102,201" && terraform_data.backup_job.input.all == 0
    error_message = "Listed guests must become \"101,102,201\" with all = 0, got \"${terraform_data.backup_job.input.vmid}\"."
  }

  assert {
    condition     = terraform_data.backup_job.input.ssh_host == "pve"
    error_message = "Without node_ssh_host, pvesh runs over SSH on node_name."
  }
}

run "hook_script_publishes_textfile_metrics" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_file.hook_script[0].content_type == "snippets" && proxmox_virtual_environment_file.hook_script[0].datastore_id == "local"
    error_message = "The hook script must be a snippet on datastore local."
  }

  assert {
    condition     = strcontains(proxmox_virtual_environment_file.hook_script[0].source_raw[0].data, "vzdump_job_last_run_timestamp_seconds{job=\\\"nightly\\\"}")
    error_message = "The hook script must write the last-run timestamp metric for the job."
  }

  assert {
    condition     = terraform_data.backup_job.input.script == "/var/lib/vz/snippets/vzdump-metrics-nightly.sh"
    error_message = "The job must call the hook script, got \"${terraform_data.backup_job.input.script}\"."
  }
}

run "no_hook_script_without_metrics" {
  command = plan

  variables {
    publish_metrics = false
  }

  assert {
    condition     = length(proxmox_virtual_environment_file.hook_script) == 0 && terraform_data.backup_job.input.script == ""
    error_message = "With publish_metrics = false there is no hook script and the job calls none."
  }
}

run "custom_retention_and_mail" {
  command = plan

  variables {
    retention = { keep_last = 3, keep_daily = 14, keep_weekly = 0 }
    mail_to   = "admin@example.org"
  }

  assert {
    condition     = terraform_data.backup_job.input.prune_backups == "keep-last=3,keep-daily=14,keep-monthly=6"
    error_message = "Given counts replace the defaults and zero counts are left out, got \"${terraform_data.backup_job.input.prune_backups}\"."
  }

  assert {
    condition     = terraform_data.backup_job.input.mailto == "admin@example.org"
    error_message = "mail_to must reach the job."
  }
}
