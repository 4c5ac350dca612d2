variable "name" {
  description = "VM name, also its hostname."
  type        = string
  default     = "monitoring"

  validation {
    condition     = can(regex("^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$", var.name))
    error_message = "name must be a valid hostname: letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen."
  }
}

variable "node_name" {
  description = "Proxmox node the VM runs on."
  type        = string

  validation {
    condition     = length(trimspace(var.node_name)) > 0
    error_message = "node_name must not be empty."
  }
}

variable "vm_id" {
  description = "Proxmox VM ID (100 to 999999999)."
  type        = number

  validation {
    condition     = floor(var.vm_id) == var.vm_id && var.vm_id >= 100 && var.vm_id <= 999999999
    error_message = "vm_id must be a whole number from 100 to 999999999 (Proxmox reserves 0-99)."
  }
}

variable "description" {
  description = "Description shown in the Proxmox UI."
  type        = string
  default     = "Monitoring stack: Prometheus, Alertmanager and node exporter - Managed by Terraform"
  nullable    = false
}

variable "tags" {
  description = "Proxmox tags, passed through exactly as given. Lower case, because Proxmox lower-cases tags."
  type        = list(string)
  default     = ["terraform", "monitoring"]
  nullable    = false

  validation {
    condition     = alltrue([for t in var.tags : can(regex("^[a-z0-9_][a-z0-9_.+-]*$", t))])
    error_message = "Each tag must be lower case and use only a-z, 0-9, '_', '-', '+' and '.'."
  }
}

variable "template_vm_id" {
  description = "VM ID of the cloud-init ready Debian template to clone."
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
    condition     = floor(var.cpu_cores) == var.cpu_cores && var.cpu_cores >= 1 && var.cpu_cores <= 64
    error_message = "cpu_cores must be a whole number from 1 to 64."
  }
}

variable "memory_mb" {
  description = "Dedicated memory in MiB."
  type        = number
  default     = 4096

  validation {
    condition     = floor(var.memory_mb) == var.memory_mb && var.memory_mb >= 1024
    error_message = "memory_mb must be a whole number of MiB, at least 1024."
  }
}

variable "disk_size" {
  description = "Size of the system disk (which also holds the Prometheus TSDB), with its unit: \"50G\"."
  type        = string
  default     = "50G"

  validation {
    condition     = can(regex("^[1-9][0-9]*[GT]$", var.disk_size))
    error_message = "disk_size must be a whole number followed by its unit G or T, e.g. \"50G\"."
  }
}

variable "datastore_id" {
  description = "Datastore for the system disk and the cloud-init drive."
  type        = string
  default     = "local-lvm"
}

variable "snippets_datastore_id" {
  description = "Datastore with the \"snippets\" content type that holds the cloud-init user-data."
  type        = string
  default     = "local"
}

variable "bridge" {
  description = "Network bridge of the VM's interface."
  type        = string
  default     = "vmbr0"
}

variable "vlan_id" {
  description = "VLAN tag (1-4094); null for untagged."
  type        = number
  default     = null

  validation {
    condition     = var.vlan_id == null ? true : (floor(var.vlan_id) == var.vlan_id && var.vlan_id >= 1 && var.vlan_id <= 4094)
    error_message = "vlan_id must be a whole number from 1 to 4094, or null."
  }
}

variable "ip_address" {
  description = "Static IPv4 address in CIDR form (\"192.168.1.80/24\"); static because other hosts are told where Prometheus is."
  type        = string

  validation {
    condition     = can(cidrhost(var.ip_address, 0))
    error_message = "ip_address must be an IPv4 address in CIDR form such as \"192.168.1.80/24\"."
  }
}

variable "gateway" {
  description = "IPv4 gateway."
  type        = string

  validation {
    condition     = can(regex("^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$", var.gateway))
    error_message = "gateway must be a plain IPv4 address such as \"192.168.1.1\" (no prefix length)."
  }
}

variable "dns_servers" {
  description = "DNS servers; empty keeps the node's resolvers."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.dns_servers : can(regex("^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$", s))])
    error_message = "Each DNS server must be a plain IPv4 address."
  }
}

variable "username" {
  description = "Admin login user cloud-init creates."
  type        = string
  default     = "admin"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.username)) && var.username != "healthcheck"
    error_message = "username must be a valid Linux user name (lower case, at most 32 characters) other than healthcheck."
  }
}

variable "ssh_public_keys" {
  description = "SSH public keys authorized for the admin user (OpenSSH format)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for k in var.ssh_public_keys : can(regex("^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$", k))])
    error_message = "Each SSH public key must be in OpenSSH format."
  }
}

variable "scrape_interval" {
  description = "Prometheus scrape and rule evaluation interval (a Prometheus duration: \"15s\", \"1m\")."
  type        = string
  default     = "30s"

  validation {
    condition     = can(regex("^[1-9][0-9]*(s|m)$", var.scrape_interval))
    error_message = "scrape_interval must be a whole number of seconds or minutes, e.g. \"30s\" or \"1m\"."
  }
}

variable "retention_time" {
  description = "How long Prometheus keeps samples (a Prometheus duration: \"30d\", \"12w\")."
  type        = string
  default     = "30d"

  validation {
    condition     = can(regex("^[1-9][0-9]*(h|d|w|y)$", var.retention_time))
    error_message = "retention_time must be a whole number of hours, days, weeks or years, e.g. \"30d\"."
  }
}

variable "node_exporter_targets" {
  description = "Other hosts' node exporters to scrape, as \"host:port\" (the VM's own exporter is always scraped)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for t in var.node_exporter_targets : can(regex("^[a-zA-Z0-9.-]+:[0-9]{1,5}$", t))])
    error_message = "Each node exporter target must be \"host:port\", e.g. \"192.168.1.10:9100\"."
  }
}

variable "pve_exporter_address" {
  description = "prometheus-pve-exporter to scrape, as \"host:port\"; null for none."
  type        = string
  default     = null

  validation {
    condition     = var.pve_exporter_address == null ? true : can(regex("^[a-zA-Z0-9.-]+:[0-9]{1,5}$", var.pve_exporter_address))
    error_message = "pve_exporter_address must be \"host:port\", e.g. \"192.168.1.10:9221\"."
  }
}

variable "pve_targets" {
  description = "Proxmox nodes the pve exporter queries (host names or addresses of the API)."
  type        = list(string)
  default     = []
  nullable    = false
}
