// Package gen regenerates the client package from the OpenAPI description.
//
// Run `go generate ./...` from the repository root (or `make generate`). The config files
// beside this one say what each generated file holds; gen/rdsbackup/*.gen.go are written
// by the generator only.
package gen

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config types.cfg.yaml ../openapi/rds-backup-files.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config client.cfg.yaml ../openapi/rds-backup-files.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config server.cfg.yaml ../openapi/rds-backup-files.yaml
