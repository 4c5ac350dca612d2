//! US2: the Terraform modules (HCL reading, `terraform test` runs, offline provider wiring).
