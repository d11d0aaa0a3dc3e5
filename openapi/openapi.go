// Package openapi holds the hand-written OpenAPI 3.0.3 description of the RDS v3
// "Obtaining the Link for Downloading a Backup File" operation, embedded so that every
// consumer (the code generator, the contract validators, the fake endpoint, the tests)
// reads the same bytes.
//
// It imports nothing outside the standard library.
package openapi

import _ "embed"

// FileName is the name of the embedded description inside this directory.
const FileName = "rds-backup-files.yaml"

//go:embed rds-backup-files.yaml
var spec []byte

// Spec returns a copy of the OpenAPI description (YAML).
func Spec() []byte {
	return append([]byte(nil), spec...)
}

// TimestampFormat is the name of the custom string format that the description gives
// link_expired_time (layout yyyy-mm-ddThh:mm:ss±hhmm). Validators must register it.
const TimestampFormat = "rds-timestamp"
