variable "hostname" {
  description = "Container hostname."
  type        = string
  default     = "minio"

  validation {
    condition     = can(regex("^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$", var.hostname))
    error_message = "hostname must be a valid hostname: letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen."
  }
}

variable "node_name" {
  description = "Proxmox node the container runs on."
  type        = string

  validation {
    condition     = length(trimspace(var.node_name)) > 0
    error_message = "node_name must not be empty."
  }
}

variable "node_ssh_host" {
  description = "Address Terraform uses to reach the node over SSH (as root) to install MinIO with `pct exec`. Defaults to node_name."
  type        = string
  default     = null
}

variable "vm_id" {
  description = "Proxmox container ID (100 to 999999999)."
  type        = number

  validation {
    condition     = floor(var.vm_id) == var.vm_id && var.vm_id >= 100 && var.vm_id <= 999999999
    error_message = "vm_id must be a whole number from 100 to 999999999 (Proxmox reserves 0-99)."
  }
}

variable "description" {
  description = "Description shown in the Proxmox UI."
  type        = string
  default     = "MinIO S3-compatible object storage - Managed by Terraform"
  nullable    = false
}

variable "tags" {
  description = "Proxmox tags, passed through exactly as given. Lower case, because Proxmox lower-cases tags."
  type        = list(string)
  default     = ["terraform", "storage"]
  nullable    = false

  validation {
    condition     = alltrue([for t in var.tags : can(regex("^[a-z0-9_][a-z0-9_.+-]*$", t))])
    error_message = "Each tag must be lower case and use only a-z, 0-9, '_', '-', '+' and '.'."
  }
}

variable "template_file_id" {
  description = "Debian or Ubuntu OS template, \"<datastore>:vztmpl/<file>\"."
  type        = string
  default     = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*:vztmpl/[^/]+\\.tar\\.(gz|xz|zst)$", var.template_file_id))
    error_message = "template_file_id must look like \"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst\"."
  }
}

variable "cpu_cores" {
  description = "Number of CPU cores."
  type        = number
  default     = 2

  validation {
    condition     = floor(var.cpu_cores) == var.cpu_cores && var.cpu_cores >= 1 && var.cpu_cores <= 64
    error_message = "cpu_cores must be a whole number from 1 to 64."
  }
}

variable "memory_mb" {
  description = "Dedicated memory in MiB (MinIO wants at least 1 GiB)."
  type        = number
  default     = 2048

  validation {
    condition     = floor(var.memory_mb) == var.memory_mb && var.memory_mb >= 1024
    error_message = "memory_mb must be a whole number of MiB, at least 1024."
  }
}

variable "rootfs_size" {
  description = "Size of the root filesystem with its unit (\"8G\")."
  type        = string
  default     = "8G"

  validation {
    condition     = can(regex("^[1-9][0-9]*[GT]$", var.rootfs_size))
    error_message = "rootfs_size must be a whole number followed by its unit G or T, e.g. \"8G\"."
  }
}

variable "datastore_id" {
  description = "Datastore for the root filesystem and the data volume."
  type        = string
  default     = "local-lvm"
}

variable "data_size" {
  description = "Size of the data volume mounted at data_path, with its unit: \"100G\", \"2T\". Proxmox reads a bare number as a different unit, so the suffix is required."
  type        = string
  default     = "100G"

  validation {
    condition     = can(regex("^[1-9][0-9]*[GT]$", var.data_size))
    error_message = "data_size must be a whole number followed by its unit G or T, e.g. \"100G\"."
  }
}

variable "data_path" {
  description = "Where the data volume is mounted inside the container."
  type        = string
  default     = "/data"

  validation {
    condition     = startswith(var.data_path, "/") && var.data_path != "/"
    error_message = "data_path must be an absolute path other than /."
  }
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
  description = "Static IPv4 address in CIDR form (\"192.168.1.70/24\"). Static because the S3 endpoint is published to clients."
  type        = string

  validation {
    condition     = can(cidrhost(var.ip_address, 0))
    error_message = "ip_address must be an IPv4 address in CIDR form such as \"192.168.1.70/24\"."
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

variable "ssh_public_keys" {
  description = "SSH public keys authorized for root (OpenSSH format)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for k in var.ssh_public_keys : can(regex("^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$", k))])
    error_message = "Each SSH public key must be in OpenSSH format."
  }
}

variable "api_port" {
  description = "Port of the S3 API."
  type        = number
  default     = 9000

  validation {
    condition     = var.api_port >= 1 && var.api_port <= 65535 && floor(var.api_port) == var.api_port
    error_message = "api_port must be a TCP port (1-65535)."
  }
}

variable "console_port" {
  description = "Port of the web console."
  type        = number
  default     = 9001

  validation {
    condition     = var.console_port >= 1 && var.console_port <= 65535 && floor(var.console_port) == var.console_port
    error_message = "console_port must be a TCP port (1-65535)."
  }
}

variable "root_user" {
  description = "MinIO root user name (at least 3 characters)."
  type        = string
  default     = "minioadmin"

  validation {
    condition     = length(var.root_user) >= 3
    error_message = "root_user must have at least 3 characters."
  }
}

variable "root_password" {
  description = "MinIO root password (at least 8 characters, MinIO refuses shorter ones)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.root_password) >= 8
    error_message = "root_password must have at least 8 characters."
  }
}
