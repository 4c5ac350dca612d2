output "endpoint_url" {
  description = "S3 API endpoint URL."
  value       = "http://${local.ip}:${var.api_port}"
}

output "console_url" {
  description = "Web console URL."
  value       = "http://${local.ip}:${var.console_port}"
}

output "container_id" {
  description = "Proxmox container ID."
  value       = proxmox_virtual_environment_container.minio.vm_id
}

output "ip_address" {
  description = "IPv4 address of the container, without prefix length."
  value       = local.ip
}
