import { XmlNode, parseXML } from '@aws-sdk/xml-builder';

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

export type XmlChild = XmlNode | undefined;

/** An element with text, or with child elements (undefined children are left out). */
export function el(name: string, content: string | number | boolean | XmlChild[]): XmlNode {
  if (!Array.isArray(content)) return XmlNode.of(name, String(content));
  const node = new XmlNode(name);
  for (const child of content) if (child) node.addChildNode(child);
  return node;
}

/** An S3 response document: XML declaration, root element in the S3 namespace. */
export function s3Document(root: XmlNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${root.addAttribute('xmlns', S3_NAMESPACE).toString()}`;
}

/** A request body (DeleteObjects, CreateBucketConfiguration) parsed the way the SDK parses XML. */
export function parseXmlBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  return text === '' ? {} : (parseXML(text) as Record<string, unknown>);
}
