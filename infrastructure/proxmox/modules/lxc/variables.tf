variable "hostname" {
  description = "Container hostname (letters, digits and hyphens, at most 63 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$", var.hostname))
    error_message = "hostname must be a valid hostname: letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen."
  }
}

variable "node_name" {
  description = "Proxmox node the container runs on (e.g. \"pve\")."
  type        = string

  validation {
    condition     = length(trimspace(var.node_name)) > 0
    error_message = "node_name must not be empty."
  }
}

variable "vm_id" {
  description = "Proxmox container ID (100 to 999999999). Null lets Proxmox pick the next free ID."
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
  nullable    = false
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

variable "template_file_id" {
  description = "OS template volume, \"<datastore>:vztmpl/<file>\" (e.g. \"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst\")."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*:vztmpl/[^/]+\\.tar\\.(gz|xz|zst)$", var.template_file_id))
    error_message = "template_file_id must look like \"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst\"."
  }
}

variable "os_type" {
  description = "Distribution of the template, used by Proxmox to set up the container (debian, ubuntu, alpine, archlinux, centos, fedora, opensuse, unmanaged)."
  type        = string
  default     = "debian"

  validation {
    condition     = contains(["alpine", "archlinux", "centos", "debian", "devuan", "fedora", "gentoo", "nixos", "opensuse", "ubuntu", "unmanaged"], var.os_type)
    error_message = "os_type must be one of alpine, archlinux, centos, debian, devuan, fedora, gentoo, nixos, opensuse, ubuntu, unmanaged."
  }
}

variable "unprivileged" {
  description = "Run the container unprivileged (root inside is not root on the host)."
  type        = bool
  default     = true
}

variable "nesting" {
  description = "Allow nesting (needed by systemd-based distributions for some services and by Docker)."
  type        = bool
  default     = true
}

variable "cpu_cores" {
  description = "Number of CPU cores."
  type        = number
  default     = 1

  validation {
    condition     = floor(var.cpu_cores) == var.cpu_cores && var.cpu_cores >= 1 && var.cpu_cores <= 128
    error_message = "cpu_cores must be a whole number from 1 to 128."
  }
}

variable "memory_mb" {
  description = "Dedicated memory in MiB."
  type        = number
  default     = 512

  validation {
    condition     = floor(var.memory_mb) == var.memory_mb && var.memory_mb >= 64
    error_message = "memory_mb must be a whole number of MiB, at least 64."
  }
}

variable "swap_mb" {
  description = "Swap in MiB."
  type        = number
  default     = 512

  validation {
    condition     = floor(var.swap_mb) == var.swap_mb && var.swap_mb >= 0
    error_message = "swap_mb must be a whole number of MiB, 0 or more."
  }
}

variable "rootfs_size" {
  description = "Size of the root filesystem with its unit: gigabytes (\"8G\") or terabytes (\"1T\")."
  type        = string
  default     = "8G"

  validation {
    condition     = can(regex("^[1-9][0-9]*[GT]$", var.rootfs_size))
    error_message = "rootfs_size must be a whole number followed by its unit G or T, e.g. \"8G\"."
  }
}

variable "datastore_id" {
  description = "Datastore for the root filesystem."
  type        = string
  default     = "local-lvm"
}

variable "bridge" {
  description = "Network bridge of eth0."
  type        = string
  default     = "vmbr0"
}

variable "vlan_id" {
  description = "VLAN tag of eth0 (1-4094); null for untagged."
  type        = number
  default     = null

  validation {
    condition     = var.vlan_id == null ? true : (floor(var.vlan_id) == var.vlan_id && var.vlan_id >= 1 && var.vlan_id <= 4094)
    error_message = "vlan_id must be a whole number from 1 to 4094, or null."
  }
}

variable "ip_address" {
  description = "IPv4 address of eth0 in CIDR form (\"192.168.1.60/24\"), or \"dhcp\"."
  type        = string
  default     = "dhcp"

  validation {
    condition     = var.ip_address == "dhcp" || can(cidrhost(var.ip_address, 0))
    error_message = "ip_address must be an IPv4 address in CIDR form such as \"192.168.1.60/24\", or \"dhcp\"."
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
  description = "DNS servers of the container; empty keeps the node's resolvers."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.dns_servers : can(regex("^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$", s))])
    error_message = "Each DNS server must be a plain IPv4 address."
  }
}

variable "ssh_public_keys" {
  description = "SSH public keys authorized for root (OpenSSH format)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for k in var.ssh_public_keys : can(regex("^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$", k))])
    error_message = "Each SSH public key must be in OpenSSH format, e.g. \"ssh-ed25519 AAAA... user@host\"."
  }
}

variable "start_on_boot" {
  description = "Start the container when the node boots."
  type        = bool
  default     = true
}

variable "started" {
  description = "Start the container once it is created."
  type        = bool
  default     = true
}

variable "enable_security_updates" {
  description = "Install and enable unattended-upgrades (security updates only) after creation. Applies to Debian and Ubuntu containers; ignored for other distributions."
  type        = bool
  default     = true
}

variable "node_ssh_host" {
  description = "Address Terraform uses to reach the node over SSH (as root) for post-install steps run with `pct exec`. Defaults to node_name."
  type        = string
  default     = null
}
