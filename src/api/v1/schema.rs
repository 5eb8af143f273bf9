//! Building blocks for the schemas of `/v1` bodies. Each states exactly
//! what its reader accepts (a client that validates against the document
//! is refused only by business rules), including which fields go together.

use schemars::schema::{
    ArrayValidation, InstanceType, Schema, SchemaObject, SingleOrVec, SubschemaValidation,
};
use serde_json::Value;

pub(crate) use crate::api::fields::pattern_schema as pattern;

fn typed(instance: InstanceType, description: &str) -> SchemaObject {
    let mut schema = SchemaObject {
        instance_type: Some(instance.into()),
        ..SchemaObject::default()
    };
    schema.metadata().description = Some(description.into());
    schema
}

pub fn integer(min: u32, max: u32, description: &str) -> Schema {
    let mut schema = typed(InstanceType::Integer, description);
    schema.number().minimum = Some(f64::from(min));
    schema.number().maximum = Some(f64::from(max));
    schema.into()
}

pub fn boolean(description: &str) -> Schema {
    typed(InstanceType::Boolean, description).into()
}

pub fn text(max_chars: usize, description: &str) -> Schema {
    let mut schema = pattern(&crate::domain::patterns::text(max_chars), description);
    schema.string().min_length = Some(1);
    schema.into()
}

/// Any string of `min_chars` to `max_chars` characters, with no pattern.
pub fn string(min_chars: usize, max_chars: usize, description: &str) -> Schema {
    let mut schema = typed(InstanceType::String, description);
    schema.string().min_length = u32::try_from(min_chars).ok();
    schema.string().max_length = u32::try_from(max_chars).ok();
    schema.into()
}

pub fn one_of_strings(values: &[&str], description: &str) -> Schema {
    let mut schema = typed(InstanceType::String, description);
    schema.enum_values = Some(values.iter().map(|value| Value::from(*value)).collect());
    schema.into()
}

/// `null` allowed too (`OpenAPI` 3.0 says so with `nullable`).
pub fn nullable(schema: Schema) -> Schema {
    let mut schema = schema.into_object();
    schema
        .extensions
        .insert("nullable".into(), Value::Bool(true));
    schema.into()
}

pub fn array(items: Schema, min_items: u32, unique: bool, description: &str) -> Schema {
    let mut schema = typed(InstanceType::Array, description);
    schema.array = Some(Box::new(ArrayValidation {
        items: Some(SingleOrVec::Single(Box::new(items))),
        min_items: Some(min_items),
        unique_items: unique.then_some(true),
        ..ArrayValidation::default()
    }));
    schema.into()
}

/// An object with these properties, of which `required` must be there;
/// others are ignored.
pub fn object(properties: Vec<(&str, Schema)>, required: &[&str]) -> SchemaObject {
    let mut schema = SchemaObject {
        instance_type: Some(InstanceType::Object.into()),
        ..SchemaObject::default()
    };
    let object = schema.object();
    for (name, property) in properties {
        object.properties.insert(name.into(), property);
    }
    object.required = required.iter().map(|name| (*name).to_owned()).collect();
    schema
}

/// Holds when all of `fields` are there.
fn has(fields: &[&str]) -> Schema {
    let mut schema = SchemaObject::default();
    schema.object().required = fields.iter().map(|name| (*name).to_owned()).collect();
    schema.into()
}

fn subschemas(schema: &mut SchemaObject) -> &mut SubschemaValidation {
    schema.subschemas.get_or_insert_with(Default::default)
}

/// Exactly one of `fields` is there.
pub fn exactly_one_of(mut schema: SchemaObject, fields: &[&str]) -> SchemaObject {
    subschemas(&mut schema).one_of = Some(fields.iter().map(|field| has(&[field])).collect());
    schema
}

/// At least one of `fields` is there.
pub fn at_least_one_of(mut schema: SchemaObject, fields: &[&str]) -> SchemaObject {
    subschemas(&mut schema).any_of = Some(fields.iter().map(|field| has(&[field])).collect());
    schema
}

/// None of these groups of fields is there together (a group of one: that
/// field is not there at all).
pub fn none_of(mut schema: SchemaObject, groups: &[&[&str]]) -> SchemaObject {
    let banned = SchemaObject {
        subschemas: Some(Box::new(SubschemaValidation {
            any_of: Some(groups.iter().map(|group| has(group)).collect()),
            ..SubschemaValidation::default()
        })),
        ..SchemaObject::default()
    };
    subschemas(&mut schema).not = Some(Box::new(banned.into()));
    schema
}

pub fn described(mut schema: SchemaObject, description: &str) -> Schema {
    schema.metadata().description = Some(description.into());
    schema.into()
}
