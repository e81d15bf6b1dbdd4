import { create, createFileRegistry, type DescFile, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { file_grpc_reflection_v1_reflection } from "@sherpa/proto/grpc/reflection/v1/reflection_pb.js";
import { file_grpc_reflection_v1alpha_reflection } from "@sherpa/proto/grpc/reflection/v1alpha/reflection_pb.js";
import { listWithDependencies } from "./list-with-dependencies.js";

/**
 * Build the registry reflection serves: the given files (or the files of the
 * given registry), every file they import transitively, and the reflection
 * protocols' own files, so the reflection services can describe themselves.
 */
export function createReflectionRegistry(source: FileRegistry | Iterable<DescFile>): FileRegistry {
  const files = isFileRegistry(source) ? source.files : source;
  const ordered = listWithDependencies([
    ...files,
    file_grpc_reflection_v1_reflection,
    file_grpc_reflection_v1alpha_reflection,
  ]);
  return createFileRegistry(
    create(FileDescriptorSetSchema, { file: ordered.map((file) => file.proto) }),
  );
}

function isFileRegistry(source: FileRegistry | Iterable<DescFile>): source is FileRegistry {
  return "kind" in source && source.kind === "registry";
}
