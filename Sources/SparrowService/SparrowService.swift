// SparrowService module. See Package.swift for the dependency direction.
