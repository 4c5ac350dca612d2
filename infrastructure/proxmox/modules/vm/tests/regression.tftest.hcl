# Regression tests of the vm module: each run protects the fix of a past release.

mock_provider "proxmox" {}

variables {
  name           = "app01"
  node_name      = "pve"
  vm_id          = 120
  template_vm_id = 9000
}

# Regression v0.5.1: tags were sorted and de-duplicated by the module; they must reach the VM exactly as given.
run "tags_are_kept_as_given" {
  command = plan

  variables {
    tags = ["web", "terraform", "prod"]
  }

  assert {
    condition     = proxmox_virtual_environment_vm.this.tags == tolist(["web", "terraform", "prod"])
    error_message = "Tags must be kept in the given order, got ${jsonencode(proxmox_virtual_environment_vm.this.tags)}."
  }
}

# Regression v0.6.0: an empty tag list was the default, so nothing marked the VM as managed by Terraform.
run "default_tags_contain_terraform" {
  command = plan

  assert {
    condition     = contains(proxmox_virtual_environment_vm.this.tags, "terraform")
    error_message = "The default tags must contain \"terraform\", got ${jsonencode(proxmox_virtual_environment_vm.this.tags)}."
  }
}

# Regression v0.6.3: a toset() on the tags dropped duplicates; duplicates given by the caller are kept.
run "duplicate_tags_are_kept_as_given" {
  command = plan

  variables {
    tags = ["terraform", "db", "db"]
  }

  assert {
    condition     = length(proxmox_virtual_environment_vm.this.tags) == 3 && proxmox_virtual_environment_vm.this.tags == tolist(["terraform", "db", "db"])
    error_message = "Duplicate tags must be kept as given, got ${jsonencode(proxmox_virtual_environment_vm.this.tags)}."
  }
}
