"""The event hub: accepts the services' events once, delivers them to subscriptions, serves a feed."""
