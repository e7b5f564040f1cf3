/*
 * ngx_http_ansinh_pass_module: the AnSinh data plane's passes, kept in nginx's shared memory.
 *
 * The gateway decides every request (token, scopes, rate limit) through auth_request. For a client whose rate
 * limit nginx cannot bypass in a few seconds, the gateway's "yes" may be reused for a short time: it says so with
 * X-Accel-Expires (seconds). This module keeps such passes in a shared-memory table, so that a reused pass costs a
 * lookup instead of a cache file read (docs/benchmarks.md). It decides nothing itself:
 *
 *   ansinh_pass_zone <size> <token> <route>;
 *                                        (http) the table, and what a pass is for: the request's token, and its
 *                                        route (method, service, path); a request with an empty token has no pass
 *   $ansinh_pass                         "1" while a pass for this request's token and route is stored and
 *                                        unexpired, else ""
 *   ansinh_pass_store <seconds>;         (location) after a 200 of the gateway, store the key for <seconds>
 *                                        (1..60; anything else, or any other status, stores nothing)
 *
 *   $ansinh_request_id                   a new random UUID (version 4, as the gateway makes them) for requests
 *                                        that come without a usable X-Request-ID
 *
 * Keys (token "|" route) are compared in full, never only a hash. A key longer than 8192 bytes is never stored. When the table is
 * full, the oldest passes go first; a pass that cannot be stored only means the gateway is asked again.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_ANSINH_PASS_MAX_KEY  8192
#define NGX_HTTP_ANSINH_PASS_MAX_TTL  60


typedef struct {
    u_char                        color;
    u_char                        dummy;
    u_short                       len;
    ngx_queue_t                   queue;
    ngx_msec_t                    expire;
    u_char                        data[1];
} ngx_http_ansinh_pass_node_t;


typedef struct {
    ngx_rbtree_t                  rbtree;
    ngx_rbtree_node_t             sentinel;
    ngx_queue_t                   queue;      /* stored or renewed most recently first */
} ngx_http_ansinh_pass_shctx_t;


typedef struct {
    ngx_http_ansinh_pass_shctx_t *sh;
    ngx_slab_pool_t              *shpool;
} ngx_http_ansinh_pass_zone_t;


typedef struct {
    ngx_shm_zone_t               *zone;
    ngx_http_complex_value_t     *token;
    ngx_http_complex_value_t     *route;
} ngx_http_ansinh_pass_main_conf_t;


typedef struct {
    ngx_http_complex_value_t     *store;
} ngx_http_ansinh_pass_loc_conf_t;


static ngx_int_t ngx_http_ansinh_pass_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_ansinh_pass_init(ngx_conf_t *cf);
static void *ngx_http_ansinh_pass_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_ansinh_pass_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_ansinh_pass_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static char *ngx_http_ansinh_pass_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_ansinh_pass_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


static ngx_command_t  ngx_http_ansinh_pass_commands[] = {

    { ngx_string("ansinh_pass_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3,
      ngx_http_ansinh_pass_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ansinh_pass_store"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ansinh_pass_store,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_ansinh_pass_module_ctx = {
    ngx_http_ansinh_pass_add_variables,    /* preconfiguration */
    ngx_http_ansinh_pass_init,             /* postconfiguration */

    ngx_http_ansinh_pass_create_main_conf, /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_ansinh_pass_create_loc_conf,  /* create location configuration */
    ngx_http_ansinh_pass_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_ansinh_pass_module = {
    NGX_MODULE_V1,
    &ngx_http_ansinh_pass_module_ctx,      /* module context */
    ngx_http_ansinh_pass_commands,         /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;

static ngx_str_t  ngx_http_ansinh_pass_name = ngx_string("ansinh_pass");
static ngx_str_t  ngx_http_ansinh_request_id_name = ngx_string("ansinh_request_id");


static ngx_rbtree_node_t *
ngx_http_ansinh_pass_lookup(ngx_http_ansinh_pass_zone_t *ctx, ngx_str_t *key, uint32_t hash)
{
    ngx_int_t                     rc;
    ngx_rbtree_node_t            *node, *sentinel;
    ngx_http_ansinh_pass_node_t  *pn;

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        pn = (ngx_http_ansinh_pass_node_t *) &node->color;

        rc = ngx_memn2cmp(key->data, pn->data, key->len, (size_t) pn->len);

        if (rc == 0) {
            return node;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_ansinh_pass_rbtree_insert_value(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t           **p;
    ngx_http_ansinh_pass_node_t  *pn, *pnt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            pn = (ngx_http_ansinh_pass_node_t *) &node->color;
            pnt = (ngx_http_ansinh_pass_node_t *) &temp->color;

            p = (ngx_memn2cmp(pn->data, pnt->data, pn->len, pnt->len) < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static void
ngx_http_ansinh_pass_delete(ngx_http_ansinh_pass_zone_t *ctx, ngx_queue_t *q)
{
    ngx_rbtree_node_t            *node;
    ngx_http_ansinh_pass_node_t  *pn;

    pn = ngx_queue_data(q, ngx_http_ansinh_pass_node_t, queue);
    node = (ngx_rbtree_node_t *) ((u_char *) pn - offsetof(ngx_rbtree_node_t, color));

    ngx_queue_remove(q);
    ngx_rbtree_delete(&ctx->sh->rbtree, node);
    ngx_slab_free_locked(ctx->shpool, node);
}


/* Drops expired passes from the oldest end (at most n; all of them when n is 0), and when force is set, the
 * oldest pass even if unexpired. Called with the zone locked. */
static void
ngx_http_ansinh_pass_expire(ngx_http_ansinh_pass_zone_t *ctx, ngx_uint_t n, ngx_uint_t force)
{
    ngx_msec_t                    now;
    ngx_queue_t                  *q;
    ngx_http_ansinh_pass_node_t  *pn;

    now = ngx_current_msec;

    while (!ngx_queue_empty(&ctx->sh->queue)) {
        q = ngx_queue_last(&ctx->sh->queue);
        pn = ngx_queue_data(q, ngx_http_ansinh_pass_node_t, queue);

        if (!force && (ngx_msec_int_t) (pn->expire - now) > 0) {
            return;
        }

        ngx_http_ansinh_pass_delete(ctx, q);
        force = 0;

        if (n && --n == 0) {
            return;
        }
    }
}


static ngx_int_t
ngx_http_ansinh_pass_key(ngx_http_request_t *r, ngx_http_ansinh_pass_main_conf_t *pmcf, ngx_str_t *key)
{
    u_char     *p;
    ngx_str_t   token, route;

    if (ngx_http_complex_value(r, pmcf->token, &token) != NGX_OK
        || ngx_http_complex_value(r, pmcf->route, &route) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (token.len == 0 || token.len + 1 + route.len > NGX_HTTP_ANSINH_PASS_MAX_KEY) {
        return NGX_DECLINED;
    }

    key->len = token.len + 1 + route.len;
    key->data = ngx_pnalloc(r->pool, key->len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(key->data, token.data, token.len);
    *p++ = '|';
    ngx_memcpy(p, route.data, route.len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_ansinh_pass_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_int_t                          rc;
    ngx_str_t                          key;
    ngx_uint_t                         found;
    uint32_t                           hash;
    ngx_rbtree_node_t                 *node;
    ngx_http_ansinh_pass_zone_t       *ctx;
    ngx_http_ansinh_pass_node_t       *pn;
    ngx_http_ansinh_pass_main_conf_t  *pmcf;

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->len = 0;
    v->data = (u_char *) "";

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_ansinh_pass_module);

    if (pmcf->zone == NULL) {
        return NGX_OK;
    }

    rc = ngx_http_ansinh_pass_key(r, pmcf, &key);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    hash = ngx_murmur_hash2(key.data, key.len);
    ctx = pmcf->zone->data;
    found = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    node = ngx_http_ansinh_pass_lookup(ctx, &key, hash);

    if (node) {
        pn = (ngx_http_ansinh_pass_node_t *) &node->color;
        found = (ngx_msec_int_t) (pn->expire - ngx_current_msec) > 0;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (found) {
        v->len = 1;
        v->data = (u_char *) "1";
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_ansinh_request_id_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char      *p;
    ngx_uint_t   i;
    u_char       bytes[16];

    static u_char  hex[] = "0123456789abcdef";

#if (NGX_OPENSSL)
    if (RAND_bytes(bytes, 16) != 1)
#endif
    {
        for (i = 0; i < 16; i++) {
            bytes[i] = (u_char) ngx_random();
        }
    }

    bytes[6] = (u_char) ((bytes[6] & 0x0f) | 0x40);  /* version 4 */
    bytes[8] = (u_char) ((bytes[8] & 0x3f) | 0x80);  /* the RFC 9562 variant */

    p = ngx_pnalloc(r->pool, 36);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *p++ = '-';
        }

        *p++ = hex[bytes[i] >> 4];
        *p++ = hex[bytes[i] & 0x0f];
    }

    v->len = 36;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static void
ngx_http_ansinh_pass_put(ngx_http_request_t *r, ngx_http_ansinh_pass_zone_t *ctx, ngx_str_t *key,
    ngx_msec_t expire)
{
    size_t                        size;
    uint32_t                      hash;
    ngx_uint_t                    tries;
    ngx_rbtree_node_t            *node;
    ngx_http_ansinh_pass_node_t  *pn;

    hash = ngx_murmur_hash2(key->data, key->len);
    size = offsetof(ngx_rbtree_node_t, color) + offsetof(ngx_http_ansinh_pass_node_t, data) + key->len;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    node = ngx_http_ansinh_pass_lookup(ctx, key, hash);

    if (node) {
        pn = (ngx_http_ansinh_pass_node_t *) &node->color;
        pn->expire = expire;
        ngx_queue_remove(&pn->queue);
        ngx_queue_insert_head(&ctx->sh->queue, &pn->queue);
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return;
    }

    ngx_http_ansinh_pass_expire(ctx, 2, 0);

    node = ngx_slab_alloc_locked(ctx->shpool, size);

    for (tries = 0; node == NULL && tries < 16 && !ngx_queue_empty(&ctx->sh->queue); tries++) {
        ngx_http_ansinh_pass_expire(ctx, 1, 1);
        node = ngx_slab_alloc_locked(ctx->shpool, size);
    }

    if (node == NULL) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "ansinh_pass: no room to store a pass; the gateway will be asked again");
        return;
    }

    node->key = hash;
    pn = (ngx_http_ansinh_pass_node_t *) &node->color;
    pn->len = (u_short) key->len;
    pn->expire = expire;
    ngx_memcpy(pn->data, key->data, key->len);

    ngx_rbtree_insert(&ctx->sh->rbtree, node);
    ngx_queue_insert_head(&ctx->sh->queue, &pn->queue);

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


static ngx_int_t
ngx_http_ansinh_pass_header_filter(ngx_http_request_t *r)
{
    ngx_int_t                          ttl, rc;
    ngx_str_t                          value, key;
    ngx_http_ansinh_pass_loc_conf_t   *plcf;
    ngx_http_ansinh_pass_main_conf_t  *pmcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_ansinh_pass_module);
    pmcf = ngx_http_get_module_main_conf(r, ngx_http_ansinh_pass_module);

    if (plcf->store == NULL || pmcf->zone == NULL || r->headers_out.status != NGX_HTTP_OK) {
        return ngx_http_next_header_filter(r);
    }

    if (ngx_http_complex_value(r, plcf->store, &value) != NGX_OK) {
        return NGX_ERROR;
    }

    ttl = (value.len > 0 && value.len <= 4) ? ngx_atoi(value.data, value.len) : NGX_ERROR;

    if (ttl == NGX_ERROR || ttl <= 0) {
        return ngx_http_next_header_filter(r);
    }

    if (ttl > NGX_HTTP_ANSINH_PASS_MAX_TTL) {
        ttl = NGX_HTTP_ANSINH_PASS_MAX_TTL;
    }

    rc = ngx_http_ansinh_pass_key(r, pmcf, &key);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {
        ngx_http_ansinh_pass_put(r, pmcf->zone->data, &key, ngx_current_msec + (ngx_msec_t) ttl * 1000);
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_ansinh_pass_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_ansinh_pass_zone_t  *octx = data;

    size_t                        len;
    ngx_http_ansinh_pass_zone_t  *ctx;

    ctx = shm_zone->data;

    if (octx) {
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_alloc(ctx->shpool, sizeof(ngx_http_ansinh_pass_shctx_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel, ngx_http_ansinh_pass_rbtree_insert_value);
    ngx_queue_init(&ctx->sh->queue);

    len = sizeof(" in ansinh_pass zone \"\"") + shm_zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in ansinh_pass zone \"%V\"%Z", &shm_zone->shm.name);

    ctx->shpool->log_nomem = 0;  /* a full table is expected: the oldest passes make room */

    return NGX_OK;
}


static ngx_http_complex_value_t *
ngx_http_ansinh_pass_compile(ngx_conf_t *cf, ngx_str_t *value)
{
    ngx_http_complex_value_t          *cv;
    ngx_http_compile_complex_value_t   ccv;

    cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (cv == NULL) {
        return NULL;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = cv;

    return (ngx_http_compile_complex_value(&ccv) == NGX_OK) ? cv : NULL;
}


static char *
ngx_http_ansinh_pass_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ansinh_pass_main_conf_t  *pmcf = conf;

    ssize_t                            size;
    ngx_str_t                         *value;
    ngx_http_ansinh_pass_zone_t       *ctx;

    if (pmcf->zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[1]);

    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "ansinh_pass_zone \"%V\" is too small or invalid", &value[1]);
        return NGX_CONF_ERROR;
    }

    pmcf->token = ngx_http_ansinh_pass_compile(cf, &value[2]);
    pmcf->route = ngx_http_ansinh_pass_compile(cf, &value[3]);

    if (pmcf->token == NULL || pmcf->route == NULL) {
        return NGX_CONF_ERROR;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_ansinh_pass_zone_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    pmcf->zone = ngx_shared_memory_add(cf, &ngx_http_ansinh_pass_name, size, &ngx_http_ansinh_pass_module);
    if (pmcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    pmcf->zone->init = ngx_http_ansinh_pass_init_zone;
    pmcf->zone->data = ctx;

    return NGX_CONF_OK;
}


static char *
ngx_http_ansinh_pass_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ansinh_pass_loc_conf_t  *plcf = conf;

    ngx_str_t                         *value;

    if (plcf->store != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    plcf->store = ngx_http_ansinh_pass_compile(cf, &value[1]);

    return (plcf->store == NULL) ? NGX_CONF_ERROR : NGX_CONF_OK;
}


static void *
ngx_http_ansinh_pass_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_ansinh_pass_main_conf_t));
}


static void *
ngx_http_ansinh_pass_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_ansinh_pass_loc_conf_t  *plcf;

    plcf = ngx_palloc(cf->pool, sizeof(ngx_http_ansinh_pass_loc_conf_t));
    if (plcf == NULL) {
        return NULL;
    }

    plcf->store = NGX_CONF_UNSET_PTR;

    return plcf;
}


static char *
ngx_http_ansinh_pass_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_ansinh_pass_loc_conf_t  *prev = parent;
    ngx_http_ansinh_pass_loc_conf_t  *conf = child;

    ngx_conf_merge_ptr_value(conf->store, prev->store, NULL);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_ansinh_pass_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var;

    var = ngx_http_add_variable(cf, &ngx_http_ansinh_pass_name, NGX_HTTP_VAR_NOCACHEABLE);
    if (var == NULL) {
        return NGX_ERROR;
    }

    var->get_handler = ngx_http_ansinh_pass_variable;

    var = ngx_http_add_variable(cf, &ngx_http_ansinh_request_id_name, 0);
    if (var == NULL) {
        return NGX_ERROR;
    }

    var->get_handler = ngx_http_ansinh_request_id_variable;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ansinh_pass_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_ansinh_pass_header_filter;

    return NGX_OK;
}
