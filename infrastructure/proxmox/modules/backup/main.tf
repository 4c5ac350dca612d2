locals {
  retention_keys = ["keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"]

  # vzdump's prune-backups syntax: "keep-daily=7,keep-weekly=4"; zero counts are left out.
  prune_backups = join(",", [
    for k in local.retention_keys : "${replace(k, "_", "-")}=${var.retention[k]}" if var.retention[k] > 0
  ])

  # Proxmox reads an empty vmid list with all=1 as "every guest"; null would drop the
  # argument and fail the pvesh call.
  vmid = join(",", [for id in var.vm_ids : tostring(id)])

  hook_script_name = "vzdump-metrics-${var.job_id}.sh"
  # Snippets on a directory storage live under <path>/snippets; "local" is /var/lib/vz.
  hook_script_path = "/var/lib/vz/snippets/${local.hook_script_name}"
}

resource "proxmox_virtual_environment_file" "hook_script" {
  count = var.publish_metrics ? 1 : 0

  content_type = "snippets"
  datastore_id = var.snippets_datastore_id
  node_name    = var.node_name
  file_mode    = "0755"

  source_raw {
    file_name = local.hook_script_name
    data      = <<-EOT
      #!/bin/sh
      # vzdump hook: publish the result of job ${var.job_id} for node-exporter's textfile collector.
      set -eu
      phase="$1"
      dir="${var.textfile_directory}"
      out="$dir/vzdump_${replace(var.job_id, "-", "_")}.prom"
      case "$phase" in
        job-end|job-abort)
          status=1
          [ "$phase" = job-end ] && status=0
          tmp="$(mktemp "$dir/.vzdump.XXXXXX")"
          {
            echo "# HELP vzdump_job_last_run_timestamp_seconds End of the last run of the backup job."
            echo "# TYPE vzdump_job_last_run_timestamp_seconds gauge"
            echo "vzdump_job_last_run_timestamp_seconds{job=\"${var.job_id}\"} $(date +%s)"
            echo "# HELP vzdump_job_last_run_failed 1 when the last run of the backup job aborted."
            echo "# TYPE vzdump_job_last_run_failed gauge"
            echo "vzdump_job_last_run_failed{job=\"${var.job_id}\"} $status"
          } > "$tmp"
          mv "$tmp" "$out"
          ;;
      esac
      exit 0
    EOT
  }
}

# The provider has no backup-job resource in the version this homelab pins, so the job is a
# terraform_data: its input is the job definition, pvesh applies it on the node, and any change
# to the input replaces (re-applies) the job.
resource "terraform_data" "backup_job" {
  input = {
    id            = var.job_id
    node          = var.node_name
    ssh_host      = coalesce(var.node_ssh_host, var.node_name)
    schedule      = var.schedule
    storage       = var.storage
    vmid          = local.vmid
    all           = length(var.vm_ids) == 0 ? 1 : 0
    mode          = var.mode
    compress      = var.compress
    enabled       = var.enabled ? 1 : 0
    retention     = var.retention
    prune_backups = local.prune_backups
    mailto        = var.mail_to
    script        = var.publish_metrics ? local.hook_script_path : ""
  }

  triggers_replace = [var.publish_metrics ? proxmox_virtual_environment_file.hook_script[0].id : ""]

  provisioner "local-exec" {
    command = <<-EOT
      set -eu
      args="--schedule '$SCHEDULE' --storage '$STORAGE' --mode '$MODE' --compress '$COMPRESS' --enabled '$ENABLED' --prune-backups '$PRUNE' --node '$NODE'"
      if [ "$ALL" = 1 ]; then args="$args --all 1"; else args="$args --vmid '$VMID'"; fi
      [ -n "$MAILTO" ] && args="$args --mailto '$MAILTO'"
      [ -n "$SCRIPT" ] && args="$args --script '$SCRIPT'"
      ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new "root@$SSH_HOST" \
        "pvesh delete /cluster/backup/$JOB_ID >/dev/null 2>&1 || true; pvesh create /cluster/backup --id '$JOB_ID' $args"
    EOT
    environment = {
      JOB_ID   = self.input.id
      NODE     = self.input.node
      SSH_HOST = self.input.ssh_host
      SCHEDULE = self.input.schedule
      STORAGE  = self.input.storage
      VMID     = self.input.vmid
      ALL      = self.input.all
      MODE     = self.input.mode
      COMPRESS = self.input.compress
      ENABLED  = self.input.enabled
      PRUNE    = self.input.prune_backups
      MAILTO   = self.input.mailto
      SCRIPT   = self.input.script
    }
  }

  provisioner "local-exec" {
    when    = destroy
    command = "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new \"root@$SSH_HOST\" \"pvesh delete /cluster/backup/$JOB_ID\""
    environment = {
      JOB_ID   = self.input.id
      SSH_HOST = self.input.ssh_host
    }
  }
}
