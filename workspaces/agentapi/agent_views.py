"""Endpoints the workspace agent calls, authenticated by its token (`Coder-Session-Token`).
Coder speaks DRPC here; these JSON paths are ours and are listed in docs/agent.md."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from coderportal.api.fields import RequestSerializer
from coderportal.api.views import PortalAPIView
from workspaces.agentapi import services
from workspaces.agentapi.auth import AgentTokenAuthentication
from workspaces.models.agents import LifecycleState


class AgentView(PortalAPIView):
    authentication_classes = [AgentTokenAuthentication]
    throttle_classes: list = []

    @property
    def agent(self):
        return self.request.auth


class LifecycleRequest(RequestSerializer):
    state = serializers.ChoiceField(choices=LifecycleState.values)
    changed_at = serializers.DateTimeField(required=False, allow_null=True)


class LogLine(RequestSerializer):
    created_at = serializers.DateTimeField(required=False, allow_null=True)
    output = serializers.CharField(allow_blank=True, trim_whitespace=False)
    level = serializers.ChoiceField(choices=sorted(services.LOG_LEVELS), required=False, default="info")


class PatchLogsRequest(RequestSerializer):
    log_source_id = serializers.CharField(required=False, allow_blank=True, default="")
    logs = LogLine(many=True, allow_empty=True)

    def validate_log_source_id(self, value):
        import uuid

        if not value:
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            raise serializers.ValidationError("Must be a UUID.") from None


class MetadataItem(RequestSerializer):
    key = serializers.CharField(max_length=128)
    value = serializers.CharField(allow_blank=True, required=False, default="", trim_whitespace=False)
    error = serializers.CharField(allow_blank=True, required=False, default="")
    collected_at = serializers.DateTimeField(required=False, allow_null=True)


class MetadataRequest(RequestSerializer):
    metadata = MetadataItem(many=True)


class PortItem(RequestSerializer):
    process_name = serializers.CharField(allow_blank=True, required=False, default="", max_length=256)
    network = serializers.ChoiceField(choices=["tcp"], required=False, default="tcp")
    port = serializers.IntegerField(min_value=1, max_value=65535)


class StatsRequest(RequestSerializer):
    listening_ports = PortItem(many=True, required=False)


class StartupRequest(RequestSerializer):
    version = serializers.CharField(max_length=64, allow_blank=True)
    api_version = serializers.CharField(max_length=16, allow_blank=True, required=False, default="")
    expanded_directory = serializers.CharField(max_length=1024, allow_blank=True, required=False, default="")
    subsystems = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class AppHealthRequest(RequestSerializer):
    healths = serializers.DictField(child=serializers.CharField())


class ManifestView(AgentView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Get the agent's manifest (agent token)")
    def get(self, request):
        return Response(services.manifest(self.agent))


class LifecycleView(AgentView):
    @extend_schema(request=LifecycleRequest, responses={204: None}, summary="Report lifecycle state (agent token)")
    def post(self, request):
        body = self.parse(LifecycleRequest)
        services.report_lifecycle(self.agent, body["state"], body.get("changed_at"))
        return Response(status=204)


class LogsView(AgentView):
    @extend_schema(request=PatchLogsRequest, responses={200: OpenApiTypes.OBJECT, 413: OpenApiTypes.OBJECT},
                   summary="Append agent logs (agent token)")
    def patch(self, request):
        body = self.parse(PatchLogsRequest)
        try:
            services.append_logs(self.agent, body["log_source_id"], body["logs"])
        except services.LogsOverflowed:
            return Response({"message": "Logs limit exceeded.",
                             "detail": f"An agent may store {services.MAX_LOGS_BYTES} bytes of logs."},
                            status=413)
        return Response({})


class MetadataView(AgentView):
    @extend_schema(request=MetadataRequest, responses={204: None}, summary="Report metadata values (agent token)")
    def post(self, request):
        body = self.parse(MetadataRequest)
        services.report_metadata(self.agent, body["metadata"])
        return Response(status=204)


class StatsView(AgentView):
    @extend_schema(request=StatsRequest, responses=OpenApiTypes.OBJECT,
                   summary="Heartbeat with listening ports (agent token)")
    def post(self, request):
        body = self.parse(StatsRequest)
        services.heartbeat(self.agent, body.get("listening_ports"))
        # `agent_id`: the row this token now stands for; a running agent that sees it change
        # (an update build) fetches its manifest again and reports its state to the new row.
        return Response({"report_interval_seconds": services.REPORT_INTERVAL_SECONDS,
                         "report_interval": services.REPORT_INTERVAL_SECONDS * 1_000_000_000,
                         "agent_id": str(self.agent.id)})


class DisconnectView(AgentView):
    @extend_schema(request=None, responses={204: None}, summary="Report a clean disconnect (agent token)")
    def post(self, request):
        services.disconnect(self.agent)
        return Response(status=204)


class StartupView(AgentView):
    @extend_schema(request=StartupRequest, responses={200: OpenApiTypes.OBJECT},
                   summary="Report agent version and expanded directory (agent token)")
    def post(self, request):
        body = self.parse(StartupRequest)
        services.report_startup(self.agent, body["version"], body["api_version"], body["expanded_directory"])
        return Response({})


class AppHealthView(AgentView):
    @extend_schema(request=AppHealthRequest, responses={200: OpenApiTypes.OBJECT},
                   summary="Report app health (agent token)")
    def post(self, request):
        body = self.parse(AppHealthRequest)
        services.report_app_health(self.agent, body["healths"])
        return Response({})
