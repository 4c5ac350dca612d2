# Regression tests of the lxc module: each run protects the fix of a past release.

mock_provider "proxmox" {}

variables {
  hostname         = "dns01"
  node_name        = "pve"
  vm_id            = 201
  template_file_id = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
}

# Regression v0.7.2: tags were merged with a hard-coded list; they must reach the container exactly as given.
run "tags_are_kept_exactly_as_given" {
  command = plan

  variables {
    tags = ["dns", "terraform", "infra"]
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.tags == tolist(["dns", "terraform", "infra"])
    error_message = "Tags must be kept exactly as given, got ${jsonencode(proxmox_virtual_environment_container.this.tags)}."
  }
}

# Regression v0.7.4: containers were created with an empty description.
run "description_defaults_to_managed_by_terraform" {
  command = plan

  assert {
    condition     = proxmox_virtual_environment_container.this.description == "Managed by Terraform"
    error_message = "The default description must be \"Managed by Terraform\", got \"${proxmox_virtual_environment_container.this.description}\"."
  }
}

# Regression v0.7.4: a custom description was replaced by the default one.
run "custom_description_is_kept" {
  command = plan

  variables {
    description = "Pi-hole and Unbound"
  }

  assert {
    condition     = proxmox_virtual_environment_container.this.description == "Pi-hole and Unbound"
    error_message = "A custom description must be kept, got \"${proxmox_virtual_environment_container.this.description}\"."
  }
}

# Regression v0.7.8: the security-updates step was created twice for Debian containers (count came from a list of two commands).
run "security_updates_once_for_debian_with_the_flag_on" {
  command = plan

  variables {
    os_type                 = "debian"
    enable_security_updates = true
  }

  assert {
    condition     = length(terraform_data.security_updates) == 1
    error_message = "A Debian container with enable_security_updates must get exactly 1 security-updates step, got ${length(terraform_data.security_updates)}."
  }
}

# Regression v0.8.0: automatic security updates were set up only for Debian; Ubuntu containers with the flag on need them too.
run "security_updates_for_ubuntu_with_the_flag_on" {
  command = plan

  variables {
    os_type                 = "ubuntu"
    template_file_id        = "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst"
    enable_security_updates = true
  }

  assert {
    condition     = length(terraform_data.security_updates) == 1
    error_message = "An Ubuntu container with enable_security_updates must get exactly 1 security-updates step, got ${length(terraform_data.security_updates)}."
  }
}

# Regression v0.8.0: the apt-based security-updates step was attempted on Alpine containers and failed the apply.
run "no_security_updates_for_other_distributions" {
  command = plan

  variables {
    os_type                 = "alpine"
    template_file_id        = "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz"
    enable_security_updates = true
  }

  assert {
    condition     = length(terraform_data.security_updates) == 0
    error_message = "An Alpine container must get no security-updates step, got ${length(terraform_data.security_updates)}."
  }
}

# Regression v0.8.1: turning enable_security_updates off still set up unattended-upgrades on Debian.
run "no_security_updates_with_the_flag_off" {
  command = plan

  variables {
    os_type                 = "debian"
    enable_security_updates = false
  }

  assert {
    condition     = length(terraform_data.security_updates) == 0
    error_message = "With enable_security_updates = false there must be no security-updates step, got ${length(terraform_data.security_updates)}."
  }
}
