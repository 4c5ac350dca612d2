output "job_id" {
  description = "Identifier of the vzdump job."
  value       = terraform_data.backup_job.input.id
}

output "schedule" {
  description = "When the job runs."
  value       = terraform_data.backup_job.input.schedule
}

output "vmid" {
  description = "Comma-separated guest IDs; the empty string means all guests."
  value       = terraform_data.backup_job.input.vmid
}

output "prune_backups" {
  description = "Retention as vzdump's prune-backups setting (e.g. \"keep-daily=7,keep-weekly=4,keep-monthly=6\")."
  value       = terraform_data.backup_job.input.prune_backups
}

output "hook_script_file_id" {
  description = "Volume ID of the metrics hook script, or null when publish_metrics is off."
  value       = var.publish_metrics ? proxmox_virtual_environment_file.hook_script[0].id : null
}
