import { type DescFile, type FileRegistry, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { indexSymbols } from "./index-symbols.js";
import { listWithDependencies } from "./list-with-dependencies.js";

/**
 * The `message_request` oneof of a ServerReflectionRequest, shared by the v1
 * and v1alpha protocols (their messages are field-for-field identical).
 */
export type ReflectionQuery =
  | { case: "fileByFilename"; value: string }
  | { case: "fileContainingSymbol"; value: string }
  | {
      case: "fileContainingExtension";
      value: { containingType: string; extensionNumber: number };
    }
  | { case: "allExtensionNumbersOfType"; value: string }
  | { case: "listServices"; value: string }
  | { case: undefined; value?: undefined };

/**
 * The `message_response` oneof of a ServerReflectionResponse, shared by the v1
 * and v1alpha protocols.
 */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | {
      case: "allExtensionNumbersResponse";
      value: { baseTypeName: string; extensionNumber: number[] };
    }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/**
 * Create the protocol-independent core of server reflection: answers one query
 * from the files of the registry, listing the given fully-qualified services.
 * A file is answered with its transitive imports so every import resolves: the
 * requested file first, then the imports, each after its own imports.
 */
export function createReflectionAnswerer(
  registry: FileRegistry,
  services: readonly string[],
): (query: ReflectionQuery) => ReflectionAnswer {
  const symbols = indexSymbols(registry.files);
  const serialized = new Map<string, Uint8Array>();

  function serialize(file: DescFile): Uint8Array {
    let bytes = serialized.get(file.proto.name);
    if (bytes === undefined) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      serialized.set(file.proto.name, bytes);
    }
    return bytes;
  }

  function describe(file: DescFile): ReflectionAnswer {
    const imports = listWithDependencies(file.dependencies);
    return {
      case: "fileDescriptorResponse",
      value: { fileDescriptorProto: [file, ...imports].map(serialize) },
    };
  }

  function extensionNumbersOf(typeName: string): ReflectionAnswer {
    if (registry.getMessage(typeName) === undefined) {
      return notFound(`message type "${typeName}" not found`);
    }
    const numbers: number[] = [];
    for (const type of registry) {
      if (type.kind === "extension" && type.extendee.typeName === typeName) {
        numbers.push(type.number);
      }
    }
    return {
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: typeName, extensionNumber: numbers.sort((a, b) => a - b) },
    };
  }

  return (query) => {
    switch (query.case) {
      case "listServices":
        return {
          case: "listServicesResponse",
          value: { service: services.map((name) => ({ name })) },
        };
      case "fileByFilename": {
        const file = registry.getFile(query.value);
        return file ? describe(file) : notFound(`file "${query.value}" not found`);
      }
      case "fileContainingSymbol": {
        const file = symbols.get(query.value);
        return file ? describe(file) : notFound(`symbol "${query.value}" not found`);
      }
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = query.value;
        const extendee = registry.getMessage(containingType);
        const extension = extendee && registry.getExtensionFor(extendee, extensionNumber);
        return extension
          ? describe(extension.file)
          : notFound(`extension ${extensionNumber} of message type "${containingType}" not found`);
      }
      case "allExtensionNumbersOfType":
        return extensionNumbersOf(query.value);
      case undefined:
        return {
          case: "errorResponse",
          value: {
            errorCode: Code.InvalidArgument,
            errorMessage:
              "reflection request names no query: set list_services, file_by_filename, file_containing_symbol, file_containing_extension or all_extension_numbers_of_type",
          },
        };
    }
  };
}

function notFound(errorMessage: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage } };
}
