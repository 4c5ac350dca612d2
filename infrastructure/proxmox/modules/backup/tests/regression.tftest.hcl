# Regression tests of the backup module: each run protects the fix of a past release.

mock_provider "proxmox" {}

variables {
  node_name = "pve"
}

# Regression v0.6.2: the retention variable was never passed on, so the job kept every backup forever.
run "retention_defaults_reach_the_job" {
  command = plan

  assert {
    condition     = terraform_data.backup_job.input.retention.keep_daily == 7 && terraform_data.backup_job.input.retention.keep_weekly == 4 && terraform_data.backup_job.input.retention.keep_monthly == 6
    error_message = "The default retention (keep-daily 7, keep-weekly 4, keep-monthly 6) must reach the job, got ${jsonencode(terraform_data.backup_job.input.retention)}."
  }

  assert {
    condition     = terraform_data.backup_job.input.prune_backups == "keep-daily=7,keep-weekly=4,keep-monthly=6"
    error_message = "prune-backups must be \"keep-daily=7,keep-weekly=4,keep-monthly=6\", got \"${terraform_data.backup_job.input.prune_backups}\"."
  }
}

# Regression v0.6.5: an empty VM-ID list became null and pvesh rejected the job; it must mean all guests, as "".
run "empty_vm_id_list_means_all_guests_as_empty_string" {
  command = plan

  variables {
    vm_ids = []
  }

  assert {
    condition     = terraform_data.backup_job.input.vmid != null
    error_message = "An empty VM-ID list must not become null."
  }

  assert {
    condition     = terraform_data.backup_job.input.vmid == "" && terraform_data.backup_job.input.all == 1
    error_message = "An empty VM-ID list must become \"\" with all = 1, got ${jsonencode(terraform_data.backup_job.input.vmid)} with all = ${terraform_data.backup_job.input.all}."
  }
}

# Regression v0.7.0: disabling the job reset its retention to the Proxmox defaults.
run "disabling_the_job_keeps_its_retention" {
  command = plan

  variables {
    enabled = false
  }

  assert {
    condition     = terraform_data.backup_job.input.enabled == 0
    error_message = "enabled = false must disable the job."
  }

  assert {
    condition     = terraform_data.backup_job.input.prune_backups == "keep-daily=7,keep-weekly=4,keep-monthly=6" && terraform_data.backup_job.input.retention.keep_daily == 7
    error_message = "A disabled job must keep its retention, got \"${terraform_data.backup_job.input.prune_backups}\"."
  }
}

# Regression v0.7.1: the default schedule ran backups at midday; it is "01:00".
run "default_schedule_is_one_in_the_morning" {
  command = plan

  assert {
    condition     = terraform_data.backup_job.input.schedule == "01:00"
    error_message = "The default schedule must be \"01:00\", got \"${terraform_data.backup_job.input.schedule}\"."
  }
}
