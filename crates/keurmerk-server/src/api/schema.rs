//! JSON Schemas of request and response bodies, read off the handlers' own types.
//!
//! The `route!` macro passes each JSON route's handler to [`response_of`] and [`request_of`]:
//! the response schema comes from the handler's return type (`Json<T>`, `(StatusCode, Json<T>)`,
//! `Result<…, ApiError>`), the request schema from its `ApiJson<T>` / `OptionalJson<T>`
//! argument. So the OpenAPI document describes exactly what the handler (de)serialises and
//! cannot drift from it. A new extractor type needs one [`ArgSchema`] line below.

use std::future::Future;

use axum::extract::{ConnectInfo, Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use schemars::{JsonSchema, Schema, SchemaGenerator};

/// A function that adds a body's schema (and the definitions it needs) to a generator.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Option<Schema>;

/// A handler's return type whose JSON body has a schema.
pub trait ResponseSchema {
    /// The body's schema.
    fn response_schema(g: &mut SchemaGenerator) -> Option<Schema>;

    /// The status of a success.
    fn success_status() -> u16 {
        200
    }
}

impl<T: JsonSchema> ResponseSchema for Json<T> {
    fn response_schema(g: &mut SchemaGenerator) -> Option<Schema> {
        Some(g.subschema_for::<T>())
    }
}

/// Handlers answer `(StatusCode::CREATED, Json(..))` when they create something (a second
/// success status is listed in `openapi::ALSO_SUCCEEDS`).
impl<T: ResponseSchema> ResponseSchema for (StatusCode, T) {
    fn response_schema(g: &mut SchemaGenerator) -> Option<Schema> {
        T::response_schema(g)
    }

    fn success_status() -> u16 {
        201
    }
}

impl<T: ResponseSchema, E> ResponseSchema for Result<T, E> {
    fn response_schema(g: &mut SchemaGenerator) -> Option<Schema> {
        T::response_schema(g)
    }

    fn success_status() -> u16 {
        T::success_status()
    }
}

/// A handler argument (extractor); the JSON body extractors give the request schema.
pub trait ArgSchema {
    /// The request body's schema, when this argument is the body.
    fn request_schema(_g: &mut SchemaGenerator) -> Option<Schema> {
        None
    }
}

impl<T: JsonSchema> ArgSchema for crate::json::ApiJson<T> {
    fn request_schema(g: &mut SchemaGenerator) -> Option<Schema> {
        Some(g.subschema_for::<T>())
    }
}

impl<T: JsonSchema> ArgSchema for crate::json::OptionalJson<T> {
    fn request_schema(g: &mut SchemaGenerator) -> Option<Schema> {
        let mut s = g.subschema_for::<T>();
        s.insert(crate::openapi::OPTIONAL_BODY.into(), true.into());
        Some(s)
    }
}

impl<T: JsonSchema> ArgSchema for Json<T> {
    fn request_schema(g: &mut SchemaGenerator) -> Option<Schema> {
        Some(g.subschema_for::<T>())
    }
}

impl ArgSchema for crate::json::NoBody {
    fn request_schema(g: &mut SchemaGenerator) -> Option<Schema> {
        let mut s = g.subschema_for::<crate::json::Empty>();
        s.insert(crate::openapi::OPTIONAL_BODY.into(), true.into());
        Some(s)
    }
}

impl<T> ArgSchema for State<T> {}
impl<T> ArgSchema for Path<T> {}
impl<T> ArgSchema for Query<T> {}
impl<T> ArgSchema for crate::json::ApiPath<T> {}
impl<T> ArgSchema for crate::json::ApiQuery<T> {}
impl<T> ArgSchema for Extension<T> {}
impl<T> ArgSchema for ConnectInfo<T> {}
impl ArgSchema for HeaderMap {}
impl ArgSchema for crate::auth::Authed {}
impl ArgSchema for crate::auth::WatchKey {}

impl ArgSchema for crate::json::Document {
    fn request_schema(_g: &mut SchemaGenerator) -> Option<Schema> {
        Some(schemars::json_schema!({
            "description": "The document as is, checked by its parser (errors name what is wrong)",
            "anyOf": [
                {"type": "object", "minProperties": 1,
                 "description": "JSON: CycloneDX 1.2-1.6 or SPDX 2.3 (SBOM); OpenVEX, CycloneDX VEX or CSAF VEX"},
                {"type": "string", "description": "CycloneDX XML, sent as application/xml"}
            ]
        }))
    }
}

impl ArgSchema for crate::json::ImageUpload {
    fn request_schema(_g: &mut SchemaGenerator) -> Option<Schema> {
        Some(schemars::json_schema!({
            "type": "string",
            "format": "binary",
            "description": "The PNG or JPEG file as is (its bytes decide the type), checked in full: size, dimensions, complete decoding"
        }))
    }
}

/// A handler whose body schemas can be read off its signature.
pub trait HandlerSchema<Args> {
    /// Response body schema.
    fn response(g: &mut SchemaGenerator) -> Option<Schema>;
    /// Request body schema.
    fn request(g: &mut SchemaGenerator) -> Option<Schema>;
    /// Status of a success.
    fn success() -> u16;
}

macro_rules! handler_schema {
    ($($a:ident),*) => {
        impl<F, Fut, R, $($a,)*> HandlerSchema<($($a,)*)> for F
        where
            F: Fn($($a),*) -> Fut,
            Fut: Future<Output = R>,
            R: ResponseSchema,
            $($a: ArgSchema,)*
        {
            fn response(g: &mut SchemaGenerator) -> Option<Schema> {
                R::response_schema(g)
            }

            fn success() -> u16 {
                R::success_status()
            }

            #[allow(unused_variables, unused_mut)]
            fn request(g: &mut SchemaGenerator) -> Option<Schema> {
                let mut found = None;
                $(
                    if found.is_none() {
                        found = $a::request_schema(g);
                    }
                )*
                found
            }
        }
    };
}

handler_schema!();
handler_schema!(A1);
handler_schema!(A1, A2);
handler_schema!(A1, A2, A3);
handler_schema!(A1, A2, A3, A4);
handler_schema!(A1, A2, A3, A4, A5);
handler_schema!(A1, A2, A3, A4, A5, A6);

/// The response schema function of a JSON handler.
pub fn response_of<H: HandlerSchema<Args>, Args>(_handler: &H) -> SchemaFn {
    H::response
}

/// The request schema function of a JSON handler (`None` from it when it takes no body).
pub fn request_of<H: HandlerSchema<Args>, Args>(_handler: &H) -> SchemaFn {
    H::request
}

/// The success status of a JSON handler.
pub fn success_of<H: HandlerSchema<Args>, Args>(_handler: &H) -> u16 {
    H::success()
}

/// For routes that answer something other than JSON.
pub fn no_schema(_: &mut SchemaGenerator) -> Option<Schema> {
    None
}
