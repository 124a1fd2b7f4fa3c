// Renders vault-agent (consul-template) templates against fake Vault responses, so tests can
// execute the exact annotation text istiod's agent will run.
//
// stdin:  {"templates": {"<file>": "<template>"}, "secrets": {"<vault path>": {<.Data>}}}
// stdout: {"<file>": "<rendered text>"}
//
// Only `secret` is provided (as consul-template's, returning an object with .Data); any other
// consul-template function, an unknown path or a missing key fails the render.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"text/template"
)

type input struct {
	Templates map[string]string                 `json:"templates"`
	Secrets   map[string]map[string]interface{} `json:"secrets"`
}

type secret struct {
	Data map[string]interface{}
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("decode input: %v", err)
	}
	funcs := template.FuncMap{
		"secret": func(path string, rest ...string) (*secret, error) {
			if len(rest) > 0 {
				return nil, fmt.Errorf("secret %q: write-style arguments are not expected here", path)
			}
			data, ok := in.Secrets[path]
			if !ok {
				return nil, fmt.Errorf("secret %q: no such path in the fake Vault", path)
			}
			return &secret{Data: data}, nil
		},
	}
	out := map[string]string{}
	for name, text := range in.Templates {
		t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(text)
		if err != nil {
			fail("parse %s: %v", name, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, nil); err != nil {
			fail("render %s: %v", name, err)
		}
		out[name] = buf.String()
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("encode output: %v", err)
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
