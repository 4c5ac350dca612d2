# Bad inputs are rejected by the backup module's validations (v1.0).

mock_provider "proxmox" {}

variables {
  node_name = "pve"
}

run "accepts_weekday_schedules" {
  command = plan

  variables {
    schedule = "mon..fri 02:30"
  }

  assert {
    condition     = terraform_data.backup_job.input.schedule == "mon..fri 02:30"
    error_message = "A weekday range schedule must be accepted."
  }
}

run "rejects_a_schedule_that_is_not_a_time" {
  command = plan

  variables {
    schedule = "1am"
  }

  expect_failures = [var.schedule]
}

run "rejects_an_hour_past_23" {
  command = plan

  variables {
    schedule = "24:00"
  }

  expect_failures = [var.schedule]
}

run "rejects_a_vm_id_out_of_range" {
  command = plan

  variables {
    vm_ids = [101, 7]
  }

  expect_failures = [var.vm_ids]
}

run "rejects_a_negative_retention" {
  command = plan

  variables {
    retention = { keep_daily = -1 }
  }

  expect_failures = [var.retention]
}

run "rejects_a_retention_that_keeps_nothing" {
  command = plan

  variables {
    retention = { keep_daily = 0, keep_weekly = 0, keep_monthly = 0 }
  }

  expect_failures = [var.retention]
}

run "rejects_an_unknown_mode" {
  command = plan

  variables {
    mode = "live"
  }

  expect_failures = [var.mode]
}

run "rejects_a_malformed_mail_address" {
  command = plan

  variables {
    mail_to = "admin"
  }

  expect_failures = [var.mail_to]
}
