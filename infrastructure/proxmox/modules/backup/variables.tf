variable "node_name" {
  description = "Proxmox node that runs the job and on which the hook script snippet is stored."
  type        = string

  validation {
    condition     = length(trimspace(var.node_name)) > 0
    error_message = "node_name must not be empty."
  }
}

variable "node_ssh_host" {
  description = "Address Terraform uses to reach the node over SSH (as root) to create the job with pvesh. Defaults to node_name."
  type        = string
  default     = null
}

variable "job_id" {
  description = "Identifier of the vzdump job in /etc/pve/jobs.cfg (letters, digits, '-' and '_', starting with a letter)."
  type        = string
  default     = "homelab-daily"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_-]{1,49}$", var.job_id))
    error_message = "job_id must start with a letter and use only letters, digits, '-' and '_' (2 to 50 characters)."
  }
}

variable "schedule" {
  description = "When the job runs, as a Proxmox calendar event: \"HH:MM\" every day, optionally preceded by weekdays (\"sat 02:30\", \"mon..fri 01:00\", \"mon,wed,fri 03:15\")."
  type        = string
  default     = "01:00"

  validation {
    condition     = can(regex("^((mon|tue|wed|thu|fri|sat|sun)(\\.\\.(mon|tue|wed|thu|fri|sat|sun))?(,(mon|tue|wed|thu|fri|sat|sun)(\\.\\.(mon|tue|wed|thu|fri|sat|sun))?)* )?([01][0-9]|2[0-3]):[0-5][0-9]$", var.schedule))
    error_message = "schedule must be \"HH:MM\" (24 h), optionally preceded by weekdays, e.g. \"01:00\", \"sat 02:30\" or \"mon..fri 01:00\"."
  }
}

variable "storage" {
  description = "Backup storage (a Proxmox storage with the \"backup\" content type, or a Proxmox Backup Server storage)."
  type        = string
  default     = "local"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_.-]*$", var.storage))
    error_message = "storage must be a Proxmox storage ID (a letter, then letters, digits, '_', '.' or '-')."
  }
}

variable "vm_ids" {
  description = "Guests to back up (VM and container IDs, 100 to 999999999). Empty means all guests of the node."
  type        = list(number)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.vm_ids : floor(id) == id && id >= 100 && id <= 999999999])
    error_message = "Each VM ID must be a whole number from 100 to 999999999."
  }
}

variable "mode" {
  description = "vzdump mode: snapshot (no downtime), suspend or stop."
  type        = string
  default     = "snapshot"

  validation {
    condition     = contains(["snapshot", "suspend", "stop"], var.mode)
    error_message = "mode must be snapshot, suspend or stop."
  }
}

variable "compress" {
  description = "Compression of the archives: zstd, lzo, gzip, or 0 for none."
  type        = string
  default     = "zstd"

  validation {
    condition     = contains(["zstd", "lzo", "gzip", "0"], var.compress)
    error_message = "compress must be zstd, lzo, gzip or 0."
  }
}

variable "enabled" {
  description = "Whether the job is active. A disabled job keeps its schedule and retention."
  type        = bool
  default     = true
}

variable "retention" {
  description = "How many backups to keep per guest (vzdump prune-backups). Unset fields take the defaults: keep-daily 7, keep-weekly 4, keep-monthly 6, none by last/hourly/yearly."
  type = object({
    keep_last    = optional(number, 0)
    keep_hourly  = optional(number, 0)
    keep_daily   = optional(number, 7)
    keep_weekly  = optional(number, 4)
    keep_monthly = optional(number, 6)
    keep_yearly  = optional(number, 0)
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for k, v in var.retention : floor(v) == v && v >= 0])
    error_message = "Every retention count must be a whole number, 0 or more."
  }

  validation {
    condition     = anytrue([for k, v in var.retention : v > 0])
    error_message = "At least one retention count must be above 0, or every backup would be pruned."
  }
}

variable "mail_to" {
  description = "Address that receives the job's report; empty for none."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.mail_to == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.mail_to))
    error_message = "mail_to must be an e-mail address, or empty."
  }
}

variable "publish_metrics" {
  description = "Install a vzdump hook script that writes the last backup's result as node-exporter textfile metrics (read by the backup alerts)."
  type        = bool
  default     = true
}

variable "snippets_datastore_id" {
  description = "Datastore with the \"snippets\" content type where the hook script is stored."
  type        = string
  default     = "local"
}

variable "textfile_directory" {
  description = "node-exporter textfile collector directory on the node."
  type        = string
  default     = "/var/lib/prometheus/node-exporter"

  validation {
    condition     = startswith(var.textfile_directory, "/")
    error_message = "textfile_directory must be an absolute path."
  }
}
