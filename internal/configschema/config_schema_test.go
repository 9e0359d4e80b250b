// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package configschema_test

import (
	"bytes"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.yaml.in/yaml/v3"

	"github.com/zego-otel/zegoreceiver"
)

// config.schema.yaml describes the receiver's configuration in the shape of the collector's own
// config.schema.yaml files. At v0.165 those come from core's cmd/schemagen, which reads the Go
// config structs but is not published as a module; mdatagen v0.159.0, this project's generator,
// cannot produce one for this receiver (README, Development). So this test derives the schema
// from Config the same way, by reflection (keys and types) and go/parser (doc comments), and
// compares it with the committed file; `make generate` rewrites the file with -update-schema.
// It checks a generated file, not the receiver's behavior: hence a package of its own, which
// `make check-generated` runs through scripts/mdatagen.sh and `go test ./...` runs too.
var updateSchema = flag.Bool("update-schema", false, "write config.schema.yaml from the Config struct")

const schemaPath = "../../config.schema.yaml"

type schemaNode struct {
	Description string                 `yaml:"description,omitempty"`
	Type        string                 `yaml:"type,omitempty"`
	Format      string                 `yaml:"format,omitempty"`
	Ref         string                 `yaml:"$ref,omitempty"`
	CustomType  string                 `yaml:"x-customType,omitempty"`
	Pointer     bool                   `yaml:"x-pointer,omitempty"`
	Items       *schemaNode            `yaml:"items,omitempty"`
	Properties  map[string]*schemaNode `yaml:"properties,omitempty"`
	AllOf       []*schemaNode          `yaml:"allOf,omitempty"`
}

func TestConfigSchema(t *testing.T) {
	docs := goDocs(t, "../..", "../metadata")
	schema := structSchema(t, reflect.TypeFor[zegoreceiver.Config](), docs)
	schema.Description = docs["zegoreceiver.Config"]

	var buf bytes.Buffer
	buf.WriteString("# Generated from the Config struct by internal/configschema/config_schema_test.go (make generate). DO NOT EDIT.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	require.NoError(t, enc.Encode(schema))
	require.NoError(t, enc.Close())

	if *updateSchema {
		require.NoError(t, os.WriteFile(schemaPath, buf.Bytes(), 0o600))
		return
	}
	committed, err := os.ReadFile(schemaPath)
	require.NoError(t, err, "run make generate")
	assert.Equal(t, buf.String(), string(committed), "%s differs from the Config struct: run make generate", schemaPath)
}

// structSchema describes a struct by its mapstructure keys. A squashed struct of this module is
// inlined; one of another module becomes an allOf reference to that module's schema.
func structSchema(t *testing.T, typ reflect.Type, docs map[string]string) *schemaNode {
	t.Helper()
	s := &schemaNode{Type: "object", Properties: map[string]*schemaNode{}}
	for f := range typ.Fields() {
		key, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if !f.IsExported() || key == "-" {
			continue
		}
		if key == "" && opts == "squash" {
			if !ours(f.Type) {
				s.AllOf = append(s.AllOf, &schemaNode{Ref: schemaRef(f.Type)})
				continue
			}
			inner := structSchema(t, f.Type, docs)
			for k, v := range inner.Properties {
				s.Properties[k] = v
			}
			s.AllOf = append(s.AllOf, inner.AllOf...)
			continue
		}
		require.NotEmpty(t, key, "%v.%s has no mapstructure key", typ, f.Name)
		p := typeSchema(t, f.Type, docs)
		if d := docs[typ.String()+"."+f.Name]; d != "" {
			p.Description = d
		}
		s.Properties[key] = p
	}
	return s
}

func typeSchema(t *testing.T, typ reflect.Type, docs map[string]string) *schemaNode {
	t.Helper()
	switch typ {
	case reflect.TypeFor[time.Duration]():
		return &schemaNode{Type: "string", Format: "duration"}
	case reflect.TypeFor[component.ID]():
		return &schemaNode{Type: "string", CustomType: "go.opentelemetry.io/collector/component.ID"}
	case reflect.TypeFor[configopaque.String]():
		return &schemaNode{Ref: schemaRef(typ)}
	}
	switch typ.Kind() {
	case reflect.Pointer:
		s := typeSchema(t, typ.Elem(), docs)
		s.Pointer = true
		return s
	case reflect.Struct:
		if !ours(typ) {
			return &schemaNode{Ref: schemaRef(typ)}
		}
		s := structSchema(t, typ, docs)
		s.Description = docs[typ.String()]
		return s
	case reflect.Slice:
		return &schemaNode{Type: "array", Items: typeSchema(t, typ.Elem(), docs)}
	case reflect.Bool:
		return &schemaNode{Type: "boolean"}
	case reflect.String:
		return &schemaNode{Type: "string"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &schemaNode{Type: "integer"}
	case reflect.Float32, reflect.Float64:
		return &schemaNode{Type: "number"}
	}
	t.Fatalf("config schema: no rule for %v (%v): extend typeSchema", typ, typ.Kind())
	return nil
}

func ours(typ reflect.Type) bool {
	return strings.HasPrefix(typ.PkgPath(), "github.com/zego-otel/zegoreceiver")
}

// schemaRef names another module's schema as the collector's schemas do: the package path, a
// dot, and the type name in snake case (confighttp.ClientConfig: .../confighttp.client_config).
func schemaRef(typ reflect.Type) string {
	var b strings.Builder
	name := []rune(typ.Name())
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(name[i-1]) || i+1 < len(name) && unicode.IsLower(name[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return typ.PkgPath() + "." + b.String()
}

// goDocs returns the doc comments of the structs in the non-test files of dirs and of their
// fields, as one line each, keyed "package.Type" and "package.Type.Field".
func goDocs(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	docs := map[string]string{}
	line := func(g *ast.CommentGroup) string { return strings.Join(strings.Fields(g.Text()), " ") }
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
			require.NoError(t, err)
			name := file.Name.Name
			for _, decl := range file.Decls {
				gen, ok := decl.(*ast.GenDecl)
				if !ok || gen.Tok != token.TYPE {
					continue
				}
				for _, spec := range gen.Specs {
					ts := spec.(*ast.TypeSpec)
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					key := name + "." + ts.Name.Name
					if doc := line(gen.Doc) + line(ts.Doc); doc != "" {
						docs[key] = doc
					}
					for _, f := range st.Fields.List {
						for _, n := range f.Names {
							if doc := line(f.Doc); doc != "" {
								docs[key+"."+n.Name] = doc
							}
						}
					}
				}
			}
		}
	}
	return docs
}
