package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// File is one file of a backup in the fake's store. Size is in kilobytes, as the API reports
// it; the fake serves exactly Size×1024 bytes for it.
type File struct {
	Name         string  `json:"name"`
	Size         int64   `json:"size"`
	DatabaseName *string `json:"database_name,omitempty"`
}

// Backup is one backup in the fake's store.
type Backup struct {
	Bucket string `json:"bucket"`
	Files  []File `json:"files"`
}

// LoadBackups reads a JSON object mapping backup IDs to backups, e.g.
//
//	{"c0c9f155c7b7423a9d30f0175998b63bbr01": {"bucket": "b1", "files": [{"name": "x.tar", "size": 10}]}}
//
// It rejects unknown fields, negative sizes, empty names and duplicate file names, naming the
// backup and file at fault.
func LoadBackups(r io.Reader) (map[string]Backup, error) {
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	dec.DisallowUnknownFields()
	var m map[string]Backup
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("backups file: %w", err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("backups file: no backups")
	}
	for _, id := range sortedIDs(m) {
		b := m[id]
		if strings.TrimSpace(id) == "" {
			return nil, fmt.Errorf("backups file: a backup has an empty ID")
		}
		seen := map[string]bool{}
		for i, f := range b.Files {
			switch {
			case f.Name == "":
				return nil, fmt.Errorf("backups file: backup %q file %d has an empty name", id, i)
			case f.Size < 0:
				return nil, fmt.Errorf("backups file: backup %q file %q has a negative size", id, f.Name)
			case f.Size > 1<<32:
				return nil, fmt.Errorf("backups file: backup %q file %q is larger than 4 TiB", id, f.Name)
			case seen[f.Name]:
				return nil, fmt.Errorf("backups file: backup %q lists file %q twice", id, f.Name)
			}
			seen[f.Name] = true
		}
	}
	return m, nil
}

func sortedIDs(m map[string]Backup) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func str(s string) *string { return &s }

// Demo backup IDs of the built-in set.
const (
	DemoMySQLFull       = "c0c9f155c7b7423a9d30f0175998b63bbr01" // MySQL full backup, one file
	DemoPostgresDBLevel = "5f0a6bd2a77f4b5e8f3c1d2e3f4a5b6cbr03" // PostgreSQL database-level backup, three files
	DemoSQLServerLarge  = "9e8d7c6b5a4f43e2b1c0d9e8f7a6b5c4br02" // SQL Server full backup, one 1 GiB file
	DemoMySQLBinlog     = "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6br04" // MySQL binlog, empty file
)

// DemoBackups returns the built-in demo set: several engines, a multi-file backup and a
// large one.
func DemoBackups() map[string]Backup {
	return map[string]Backup{
		DemoMySQLFull: {Bucket: "rdsbucket-demo-1", Files: []File{
			{Name: "43e4feaab48f11e89039fa163ebaa7e4br01.qp", Size: 2803},
		}},
		DemoPostgresDBLevel: {Bucket: "rdsbucket-demo-1", Files: []File{
			{Name: "5f0a6bd2_orders.tar.gz", Size: 4096, DatabaseName: str("orders")},
			{Name: "5f0a6bd2_billing.tar.gz", Size: 1500, DatabaseName: str("billing")},
			{Name: "5f0a6bd2_meta.json", Size: 1, DatabaseName: str("")},
		}},
		DemoSQLServerLarge: {Bucket: "rdsbucket-demo-2", Files: []File{
			{Name: "sqlserver_full_20261126.bak", Size: 1 << 20, DatabaseName: str("sales")},
		}},
		DemoMySQLBinlog: {Bucket: "rdsbucket-demo-1", Files: []File{
			{Name: "mysql-bin.000042", Size: 0},
		}},
	}
}
