output "container_id" {
  description = "Proxmox container ID."
  value       = proxmox_virtual_environment_container.this.vm_id
}

output "hostname" {
  description = "Container hostname."
  value       = var.hostname
}

output "ip_address" {
  description = "IPv4 address without prefix length, or \"dhcp\"."
  value       = var.ip_address == "dhcp" ? "dhcp" : split("/", var.ip_address)[0]
}

output "tags" {
  description = "Tags set on the container, as given."
  value       = proxmox_virtual_environment_container.this.tags
}

output "security_updates_enabled" {
  description = "Whether unattended security updates are set up in the container."
  value       = local.security_updates
}
