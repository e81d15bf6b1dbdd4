import type { DescFile } from "@bufbuild/protobuf";
import type { DescriptorProto, EnumDescriptorProto } from "@bufbuild/protobuf/wkt";

/**
 * Map every fully-qualified symbol the files declare to the file declaring it,
 * as protoc scopes them: messages (map entries included), enums, services and
 * extensions at any depth, and their fields, oneofs, enum values and methods.
 */
export function indexSymbols(files: Iterable<DescFile>): ReadonlyMap<string, DescFile> {
  const index = new Map<string, DescFile>();
  for (const file of files) {
    const declare = (name: string) => index.set(name, file);
    const { proto } = file;
    const scope = proto.package === "" ? "" : `${proto.package}.`;
    declareMessages(scope, proto.messageType, declare);
    declareEnums(scope, proto.enumType, declare);
    for (const extension of proto.extension) {
      declare(scope + extension.name);
    }
    for (const service of proto.service) {
      declare(scope + service.name);
      for (const method of service.method) {
        declare(`${scope}${service.name}.${method.name}`);
      }
    }
  }
  return index;
}

function declareMessages(
  scope: string,
  messages: DescriptorProto[],
  declare: (name: string) => void,
): void {
  for (const message of messages) {
    const name = scope + message.name;
    declare(name);
    for (const member of [...message.field, ...message.oneofDecl, ...message.extension]) {
      declare(`${name}.${member.name}`);
    }
    declareMessages(`${name}.`, message.nestedType, declare);
    declareEnums(`${name}.`, message.enumType, declare);
  }
}

function declareEnums(
  scope: string,
  enums: EnumDescriptorProto[],
  declare: (name: string) => void,
): void {
  for (const enumType of enums) {
    declare(scope + enumType.name);
    // Enum values are scoped like C++ enumerators: beside the enum, not inside it.
    for (const value of enumType.value) {
      declare(scope + value.name);
    }
  }
}
