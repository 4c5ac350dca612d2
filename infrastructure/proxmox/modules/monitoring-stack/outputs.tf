output "vm_id" {
  description = "Proxmox VM ID of the monitoring VM."
  value       = proxmox_virtual_environment_vm.monitoring.vm_id
}

output "ip_address" {
  description = "IPv4 address of the monitoring VM, without prefix length."
  value       = local.ip
}

output "prometheus_url" {
  description = "Prometheus web UI and API."
  value       = "http://${local.ip}:9090"
}

output "alertmanager_url" {
  description = "Alertmanager web UI and API."
  value       = "http://${local.ip}:9093"
}

output "cloud_init_file_id" {
  description = "Volume ID of the cloud-init user-data snippet."
  value       = proxmox_virtual_environment_file.cloud_init.id
}

output "health_check_public_key" {
  description = "OpenSSH public key of the health-check user."
  value       = tls_private_key.health_check.public_key_openssh
}

output "health_check_private_key" {
  description = "OpenSSH private key of the health-check user, for the health-check job."
  value       = tls_private_key.health_check.private_key_openssh
  sensitive   = true
}
