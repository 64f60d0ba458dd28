package config

import (
	"os"
	"reflect"
	"slices"
	"testing"

	pconfig "github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"gopkg.in/yaml.v3"
)

// schemaEntry is one key of Pulumi.yaml's config schema.
type schemaEntry struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Secret      bool   `yaml:"secret"`
	Default     any    `yaml:"default"`
	Value       any    `yaml:"value"`
	Items       *struct {
		Type string `yaml:"type"`
	} `yaml:"items"`
}

func readSchema(t *testing.T) map[string]schemaEntry {
	t.Helper()
	b, err := os.ReadFile("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Config map[string]schemaEntry `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	out := map[string]schemaEntry{}
	for k, e := range p.Config {
		out[fullKey(k)] = e
	}
	return out
}

// TestSchemaAgreesWithDecoder keeps Pulumi.yaml and the decoder from drifting: every key Decode
// reads has a schema entry with a description and a default (a value for aws:region, which
// belongs to the AWS provider), every schema key is decoded, secrets are marked on both sides,
// and the schema's defaults decode to exactly Defaults().
func TestSchemaAgreesWithDecoder(t *testing.T) {
	schema := readSchema(t)
	defaults := MapSource{}
	for _, k := range keys {
		e, ok := schema[k.name]
		if !ok {
			t.Errorf("Pulumi.yaml has no schema entry for %s", k.name)
			continue
		}
		if e.Description == "" {
			t.Errorf("Pulumi.yaml: %s has no description", k.name)
		}
		if e.Secret != k.secret {
			t.Errorf("Pulumi.yaml: %s secret=%v, decoder secret=%v", k.name, e.Secret, k.secret)
		}
		v := e.Default
		if k.name == RegionKey {
			v = e.Value
		} else if e.Type == "" {
			t.Errorf("Pulumi.yaml: %s has no type", k.name)
		}
		if v == nil {
			t.Errorf("Pulumi.yaml: %s has no default; Pulumi would make it required in every stack", k.name)
			continue
		}
		defaults[k.name] = pulumiText(t, v)
	}
	for key := range schema {
		if _, ok := lookupKey(key); !ok {
			t.Errorf("Pulumi.yaml declares %s, which the config package does not decode", key)
		}
	}
	got, err := Decode(defaults)
	if err != nil {
		t.Fatalf("Pulumi.yaml defaults do not decode: %v", err)
	}
	if want := Defaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("Pulumi.yaml defaults decode to\n%+v\nbut Defaults() is\n%+v", got, want)
	}
}

// pulumiText renders a schema default the way Pulumi hands it to the program: primitives as
// their text, arrays as JSON (config.NewObjectValue).
func pulumiText(t *testing.T, v any) string {
	t.Helper()
	n := yaml.Node{}
	if err := n.Encode(v); err != nil {
		t.Fatal(err)
	}
	s, err := nodeText(&n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPulumiAcceptsProjectAndDevStack loads both files with Pulumi's own loaders (the JSON
// schema check and Project.Validate run inside LoadProject) and checks every dev-stack value
// against its declared type with Pulumi's validator, as `pulumi preview` would.
func TestPulumiAcceptsProjectAndDevStack(t *testing.T) {
	proj, err := workspace.LoadProject("../Pulumi.yaml")
	if err != nil {
		t.Fatalf("pulumi rejects Pulumi.yaml: %v", err)
	}
	if proj.Name.String() != Namespace || proj.Runtime.Name() != "go" {
		t.Errorf("project %q runtime %q", proj.Name, proj.Runtime.Name())
	}
	stack, err := workspace.LoadProjectStack(nil, proj, "../Pulumi.dev.yaml")
	if err != nil {
		t.Fatalf("pulumi rejects Pulumi.dev.yaml: %v", err)
	}
	if len(stack.Config) == 0 {
		t.Fatal("Pulumi.dev.yaml has no config")
	}
	var seen []string
	for key, value := range stack.Config {
		full := key.Namespace() + ":" + key.Name()
		seen = append(seen, full)
		if key.Namespace() != Namespace {
			continue
		}
		decl, ok := proj.Config[key.Name()]
		if !ok {
			t.Errorf("Pulumi.dev.yaml sets %s, which Pulumi.yaml does not declare", full)
			continue
		}
		text, err := value.Value(pconfig.NopDecrypter)
		if err != nil {
			t.Fatal(err)
		}
		if !workspace.ValidateConfigValue(decl.TypeName(), decl.Items, text) {
			t.Errorf("Pulumi.dev.yaml: %s = %q is not of type %s", full, text, decl.TypeName())
		}
	}
	for _, want := range []string{"aws:region", "lambdabridge:schedule", "lambdabridge:sourceUrl",
		"lambdabridge:payloadSize", "lambdabridge:compressedSize", "lambdabridge:topology"} {
		if !slices.Contains(seen, want) {
			t.Errorf("Pulumi.dev.yaml does not set %s", want)
		}
	}
}
