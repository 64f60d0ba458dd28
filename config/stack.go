package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoadStack reads the project file dir/Pulumi.yaml and the stack file Pulumi.<stack>.yaml
// (in the project's stackConfigDir, if it sets one) the way Pulumi merges them, and
// decodes the result with [Decode]:
//   - a key set in the stack file wins over the project's `default` (or `value`);
//   - keys without a namespace belong to the project (`memoryMB` is `lambdabridge:memoryMB`);
//   - a list is handed to Decode as JSON, as Pulumi hands it to the program;
//   - an encrypted `secure:` value cannot be read here: it counts as set but unknown,
//     which is an error only for keys the planner needs ([PlannerKey]); others keep their
//     default in the returned Config (the Pulumi program sees the real value).
//
// Unknown keys in the lambdabridge namespace (typos) are errors in either file.
func LoadStack(dir, stack string) (Config, error) {
	src, err := loadStackSource(dir, stack)
	if err != nil {
		return Config{}, err
	}
	c, err := Decode(src)
	if err != nil {
		return Config{}, fmt.Errorf("stack %s: %w", stack, err)
	}
	return c, nil
}

// stackSource is the merged config of a project file and one stack file.
type stackSource struct {
	values map[string]string
	secure map[string]bool
}

func (s *stackSource) Get(key string) (string, bool) {
	v, ok := s.values[key]
	return v, ok
}

func (s *stackSource) opaque(key string) bool { return s.secure[key] }

type projectFile struct {
	Name           string               `yaml:"name"`
	StackConfigDir string               `yaml:"stackConfigDir"`
	Config         map[string]yaml.Node `yaml:"config"`
}

type stackFile struct {
	Config map[string]yaml.Node `yaml:"config"`
}

func loadStackSource(dir, stack string) (*stackSource, error) {
	if stack == "" || strings.ContainsAny(stack, `/\`) {
		return nil, fmt.Errorf("stack name %q: want a plain name like dev", stack)
	}
	projPath := filepath.Join(dir, "Pulumi.yaml")
	var proj projectFile
	if err := readYAML(projPath, &proj); err != nil {
		return nil, err
	}
	if proj.Name != Namespace {
		return nil, fmt.Errorf("%s: project name %q: lambdabridge reads its keys in the %q namespace, so the project must be named %s",
			projPath, proj.Name, Namespace, Namespace)
	}
	src := &stackSource{values: map[string]string{}, secure: map[string]bool{}}
	for key, node := range proj.Config {
		full := fullKey(key)
		if err := checkKnown(projPath, full); err != nil {
			return nil, err
		}
		v, ok, err := projectValue(&node)
		if err != nil {
			return nil, fmt.Errorf("%s: config %s: %w", projPath, full, err)
		}
		if ok {
			src.values[full] = v
		}
	}

	stackDir := filepath.Join(dir, proj.StackConfigDir)
	stackPath := stackFilePath(dir, proj, stack)
	if _, err := os.Stat(stackPath); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("stack %s: no stack file %s (stacks found: %s)", stack, stackPath, listStacks(stackDir))
	}
	var sf stackFile
	if err := readYAML(stackPath, &sf); err != nil {
		return nil, err
	}
	for key, node := range sf.Config {
		full := fullKey(key)
		if err := checkKnown(stackPath, full); err != nil {
			return nil, err
		}
		if node.Kind == yaml.MappingNode && isSecure(&node) {
			delete(src.values, full)
			src.secure[full] = true
			continue
		}
		v, err := nodeText(&node)
		if err != nil {
			return nil, fmt.Errorf("%s: config %s: %w", stackPath, full, err)
		}
		delete(src.secure, full)
		src.values[full] = v
	}
	return src, nil
}

// stackFilePath is where a project keeps stack's settings file.
func stackFilePath(dir string, proj projectFile, stack string) string {
	return filepath.Join(dir, proj.StackConfigDir, "Pulumi."+stack+".yaml")
}

func readYAML(path string, into any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

// fullKey namespaces a bare key with the project, as Pulumi does.
func fullKey(key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return ns(key)
}

// checkKnown rejects keys in the lambdabridge namespace that Decode does not read.
// Keys of other namespaces (aws:profile, pulumi:...) belong to their owners.
func checkKnown(path, key string) error {
	if !strings.HasPrefix(key, Namespace+":") {
		return nil
	}
	if _, ok := lookupKey(key); ok {
		return nil
	}
	for _, k := range keys {
		if strings.EqualFold(k.name, key) {
			return fmt.Errorf("%s: unknown config key %s (did you mean %s?)", path, key, k.name)
		}
	}
	return fmt.Errorf("%s: unknown config key %s; known keys: %s", path, key, strings.Join(Keys(), ", "))
}

// projectValue reads the value a project-file config entry gives its key: the `default`
// of a type declaration for project keys, the `value` for other namespaces, or a
// shorthand scalar or list.
func projectValue(node *yaml.Node) (string, bool, error) {
	if node.Kind != yaml.MappingNode {
		v, err := nodeText(node)
		return v, err == nil, err
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		switch node.Content[i].Value {
		case "default", "value":
			v, err := nodeText(node.Content[i+1])
			return v, err == nil, err
		}
	}
	return "", false, nil
}

// isSecure reports whether a mapping is an encrypted value: {secure: <ciphertext>}.
func isSecure(node *yaml.Node) bool {
	return len(node.Content) == 2 && node.Content[0].Value == "secure"
}

// nodeText renders a config value as Pulumi hands it to a program: scalars as their
// text (null as empty), lists and objects as JSON.
func nodeText(node *yaml.Node) (string, error) {
	switch node.Kind {
	case yaml.ScalarNode:
		if node.Tag == "!!null" {
			return "", nil
		}
		return node.Value, nil
	case yaml.SequenceNode, yaml.MappingNode:
		var v any
		if err := node.Decode(&v); err != nil {
			return "", err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("cannot be represented as JSON: %w", err)
		}
		return string(b), nil
	case yaml.AliasNode:
		return nodeText(node.Alias)
	}
	return "", fmt.Errorf("unsupported YAML value (line %d)", node.Line)
}

// listStacks names the stacks that have a settings file in dir.
func listStacks(dir string) string {
	matches, _ := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	var names []string
	for _, m := range matches {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "Pulumi."), ".yaml"))
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
