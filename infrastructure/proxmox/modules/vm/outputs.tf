output "vm_id" {
  description = "Proxmox VM ID."
  value       = proxmox_virtual_environment_vm.this.vm_id
}

output "name" {
  description = "VM name."
  value       = proxmox_virtual_environment_vm.this.name
}

output "tags" {
  description = "Tags set on the VM, as given."
  value       = proxmox_virtual_environment_vm.this.tags
}

output "ip_address" {
  description = "IPv4 address without prefix length: the static address, or the first non-loopback address the guest agent reports with dhcp."
  value       = var.ip_address == "dhcp" ? try([for a in flatten(proxmox_virtual_environment_vm.this.ipv4_addresses) : a if a != "127.0.0.1"][0], null) : split("/", var.ip_address)[0]
}

output "user_data_file_id" {
  description = "Volume ID of the uploaded cloud-init user-data snippet, or null when none was given."
  value       = var.user_data == null ? null : proxmox_virtual_environment_file.user_data[0].id
}
