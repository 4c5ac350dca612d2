variable "name" {
  description = "VM name, also its hostname (letters, digits and hyphens, at most 63 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$", var.name))
    error_message = "name must be a valid hostname: letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen."
  }
}

variable "node_name" {
  description = "Proxmox node the VM runs on (e.g. \"pve\")."
  type        = string

  validation {
    condition     = length(trimspace(var.node_name)) > 0
    error_message = "node_name must not be empty."
  }
}

variable "vm_id" {
  description = "Proxmox VM ID (100 to 999999999). Null lets Proxmox pick the next free ID."
  type        = number
  default     = null

  validation {
    condition     = var.vm_id == null ? true : (floor(var.vm_id) == var.vm_id && var.vm_id >= 100 && var.vm_id <= 999999999)
    error_message = "vm_id must be a whole number from 100 to 999999999 (Proxmox reserves 0-99)."
  }
}

variable "description" {
  description = "Description shown in the Proxmox UI."
  type        = string
  default     = "Managed by Terraform"
}

variable "tags" {
  description = "Proxmox tags, passed through exactly as given (order and duplicates kept). Lower case, because Proxmox lower-cases tags and would otherwise report a diff on every plan."
  type        = list(string)
  default     = ["terraform"]
  nullable    = false

  validation {
    condition     = alltrue([for t in var.tags : can(regex("^[a-z0-9_][a-z0-9_.+-]*$", t))])
    error_message = "Each tag must be lower case and use only a-z, 0-9, '_', '-', '+' and '.'."
  }
}

variable "template_vm_id" {
  description = "VM ID of the cloud-init ready template to clone (e.g. a Debian 12 generic cloud image turned into a template)."
  type        = number

  validation {
    condition     = floor(var.template_vm_id) == var.template_vm_id && var.template_vm_id >= 100 && var.template_vm_id <= 999999999
    error_message = "template_vm_id must be a whole number from 100 to 999999999."
  }
}

variable "cpu_cores" {
  description = "Number of virtual CPU cores."
  type        = number
  default     = 2

  validation {
    condition     = floor(var.cpu_cores) == var.cpu_cores && var.cpu_cores >= 1 && var.cpu_cores <= 128
    error_message = "cpu_cores must be a whole number from 1 to 128."
  }
}

variable "cpu_type" {
  description = "QEMU CPU type. x86-64-v2-AES migrates between most current hosts; use \"host\" for best performance on a single node."
  type        = string
  default     = "x86-64-v2-AES"
}

variable "memory_mb" {
  description = "Dedicated memory in MiB."
  type        = number
  default     = 2048

  validation {
    condition     = floor(var.memory_mb) == var.memory_mb && var.memory_mb >= 256
    error_message = "memory_mb must be a whole number of MiB, at least 256."
  }
}

variable "disk_size" {
  description = "Size of the system disk with its unit: gigabytes (\"32G\") or terabytes (\"1T\")."
  type        = string
  default     = "32G"

  validation {
    condition     = can(regex("^[1-9][0-9]*[GT]$", var.disk_size))
    error_message = "disk_size must be a whole number followed by its unit G or T, e.g. \"32G\"."
  }
}

variable "datastore_id" {
  description = "Datastore for the system disk and the cloud-init drive."
  type        = string
  default     = "local-lvm"
}

variable "bridge" {
  description = "Network bridge the VM's interface is attached to."
  type        = string
  default     = "vmbr0"
}

variable "vlan_id" {
  description = "VLAN tag of the interface (1-4094); null for an untagged interface."
  type        = number
  default     = null

  validation {
    condition     = var.vlan_id == null ? true : (floor(var.vlan_id) == var.vlan_id && var.vlan_id >= 1 && var.vlan_id <= 4094)
    error_message = "vlan_id must be a whole number from 1 to 4094, or null."
  }
}

variable "ip_address" {
  description = "IPv4 address in CIDR form (\"192.168.1.50/24\"), or \"dhcp\"."
  type        = string
  default     = "dhcp"

  validation {
    condition     = var.ip_address == "dhcp" || can(cidrhost(var.ip_address, 0))
    error_message = "ip_address must be an IPv4 address in CIDR form such as \"192.168.1.50/24\", or \"dhcp\"."
  }
}

variable "gateway" {
  description = "IPv4 gateway; required with a static ip_address, must be null with dhcp."
  type        = string
  default     = null

  validation {
    condition     = var.gateway == null ? true : can(regex("^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$", var.gateway))
    error_message = "gateway must be a plain IPv4 address such as \"192.168.1.1\" (no prefix length)."
  }
}

variable "dns_servers" {
  description = "DNS servers written by cloud-init; empty keeps the node's resolvers."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.dns_servers : can(regex("^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$", s))])
    error_message = "Each DNS server must be a plain IPv4 address."
  }
}

variable "username" {
  description = "Login user cloud-init creates."
  type        = string
  default     = "admin"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.username))
    error_message = "username must be a valid Linux user name (lower case, at most 32 characters)."
  }
}

variable "ssh_public_keys" {
  description = "SSH public keys authorized for the login user (OpenSSH format)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for k in var.ssh_public_keys : can(regex("^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$", k))])
    error_message = "Each SSH public key must be in OpenSSH format, e.g. \"ssh-ed25519 AAAA... user@host\"."
  }
}

variable "user_data" {
  description = "Optional cloud-init user-data (a #cloud-config document). When set, it is uploaded as a snippet and replaces the generated user account settings."
  type        = string
  default     = null

  validation {
    condition     = var.user_data == null ? true : startswith(var.user_data, "#cloud-config")
    error_message = "user_data must be a cloud-config document starting with \"#cloud-config\"."
  }
}

variable "snippets_datastore_id" {
  description = "Datastore with the \"snippets\" content type enabled, where a custom user_data is uploaded."
  type        = string
  default     = "local"
}

variable "on_boot" {
  description = "Start the VM when the node boots."
  type        = bool
  default     = true
}

variable "started" {
  description = "Start the VM once it is created."
  type        = bool
  default     = true
}
