import type { DescFile } from "@bufbuild/protobuf";

/**
 * Every given file and all the files it imports, transitively, each once and
 * each after its own imports: the order a FileDescriptorSet needs to be
 * rebuilt into a registry.
 */
export function listWithDependencies(files: Iterable<DescFile>): DescFile[] {
  const listed = new Set<string>();
  const ordered: DescFile[] = [];
  function visit(file: DescFile): void {
    if (listed.has(file.proto.name)) {
      return;
    }
    listed.add(file.proto.name);
    for (const dependency of file.dependencies) {
      visit(dependency);
    }
    ordered.push(file);
  }
  for (const file of files) {
    visit(file);
  }
  return ordered;
}
