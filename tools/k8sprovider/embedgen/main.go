// Command embedgen writes the two files the provider's main package embeds, as upstream's
// generate.go does: the module's schema.json with "version" set to the version the npm SDK
// asks for (the engine matches the plugin by it), and terraform-mapping.json compacted.
//
// Usage: go run ./embedgen <module dir>/cmd/pulumi-resource-kubernetes <version> <out dir>
package main

import (
	"bytes"
	"encoding/json"
	"log"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: embedgen SRC_DIR VERSION OUT_DIR")
	}
	src, version, out := os.Args[1], os.Args[2], os.Args[3]

	var schema map[string]json.RawMessage
	mustRead(filepath.Join(src, "schema.json"), &schema)
	v, _ := json.Marshal(version)
	schema["version"] = v
	mustWrite(filepath.Join(out, "schema-embed.json"), schema)

	raw, err := os.ReadFile(filepath.Join(src, "terraform-mapping.json"))
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		log.Fatalf("terraform-mapping.json: %v", err)
	}
	if err := os.WriteFile(filepath.Join(out, "terraform-mapping-embed.json"), buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func mustRead(path string, into any) {
	raw, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		log.Fatalf("%s: %v", path, err)
	}
}

func mustWrite(path string, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		log.Fatal(err)
	}
}
